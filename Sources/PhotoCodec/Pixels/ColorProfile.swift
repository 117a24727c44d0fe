#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPNG

/// An RGB matrix/TRC ICC profile (what cameras and phones embed: sRGB, Display P3, Adobe RGB):
/// three colorants in the D50 connection space and a tone curve per channel. Enough to turn
/// the pixels into sRGB without a colour engine. LUT-based profiles are not handled (`parse`
/// returns nil for them).
public struct ColorProfile: Sendable {
    public var name: String
    /// Display P3's colorants (D50), as Apple's profile has them: red, green, blue (X, Y, Z each).
    public static let displayP3 = (red: [0.5151, 0.2412, -0.0011], green: [0.2920, 0.6922, 0.0419], blue: [0.1571, 0.0666, 0.7841])

    /// Columns: the red, green and blue colorants (XYZ, D50).
    public var colorants: [[Double]]
    /// Per channel: encoded value (0…1) → linear light, sampled at 4096 points.
    var curves: [[Float]]

    /// The profile in a JPEG's APP2 `ICC_PROFILE` segments (joined in sequence order), if any.
    public static func jpegICC(_ jpeg: [UInt8]) -> [UInt8]? {
        guard jpeg.count > 4, jpeg[0] == 0xFF, jpeg[1] == 0xD8 else { return nil }
        var i = 2
        var chunks: [Int: [UInt8]] = [:]
        let signature = Array("ICC_PROFILE\0".utf8)
        while i + 4 <= jpeg.count {
            guard jpeg[i] == 0xFF else { return nil }
            let marker = jpeg[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0xDA || marker == 0xD9 { break }
            if (0xD0...0xD7).contains(marker) || marker == 0x01 { i += 2; continue }
            let length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
            guard length >= 2, i + 2 + length <= jpeg.count else { return nil }
            if marker == 0xE2, length >= 16, Array(jpeg[(i + 4)..<(i + 16)]) == signature {
                let sequence = Int(jpeg[i + 16])
                chunks[sequence] = Array(jpeg[(i + 18)..<(i + 2 + length)])
            }
            i += 2 + length
        }
        guard !chunks.isEmpty else { return nil }
        return chunks.keys.sorted().flatMap { chunks[$0]! }
    }

    /// The profile in a PNG's `iCCP` chunk (inflated, at most 4 MB), if any, and whether the PNG
    /// also has a `gAMA` chunk (libpng's decoder then already applied that gamma).
    public static func pngICC(_ png: [UInt8]) -> (profile: [UInt8]?, hasGamma: Bool) {
        guard png.count > 8, png[0] == 0x89, png[1] == 0x50 else { return (nil, false) }
        var i = 8
        var profile: [UInt8]?
        var hasGamma = false
        while i + 8 <= png.count {
            let length = Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3])
            let type = String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self)
            let start = i + 8
            guard length >= 0, start + length <= png.count else { break }
            if type == "IDAT" || type == "IEND" { break }
            if type == "gAMA" { hasGamma = true }
            if type == "iCCP", let nul = png[start..<(start + length)].firstIndex(of: 0), nul + 2 <= start + length,
               png[nul + 1] == 0 {
                let compressed = Array(png[(nul + 2)..<(start + length)])
                var out: UnsafeMutablePointer<UInt8>?
                var size = 0
                let code = compressed.withUnsafeBufferPointer { pp_inflate($0.baseAddress, $0.count, 4 << 20, &out, &size) }
                if code == PP_PNG_OK, let out { profile = Array(UnsafeBufferPointer(start: out, count: size)) }
                pp_png_free(out)
            }
            i = start + length + 4
        }
        return (profile, hasGamma)
    }

    /// Parses an RGB display/input profile with rXYZ/gXYZ/bXYZ and rTRC/gTRC/bTRC tags.
    public static func parse(_ p: [UInt8]) -> ColorProfile? {
        guard p.count >= 132 else { return nil }
        func u32(_ o: Int) -> Int? {
            guard o >= 0, o + 4 <= p.count else { return nil }
            return Int(p[o]) << 24 | Int(p[o + 1]) << 16 | Int(p[o + 2]) << 8 | Int(p[o + 3])
        }
        func s15(_ o: Int) -> Double? { u32(o).map { Double(Int32(bitPattern: UInt32($0))) / 65536 } }
        guard String(decoding: p[16..<20], as: UTF8.self) == "RGB ", String(decoding: p[36..<40], as: UTF8.self) == "acsp",
              let count = u32(128), count < 200 else { return nil }
        var tags: [String: (Int, Int)] = [:]
        for t in 0..<count {
            let o = 132 + 12 * t
            guard let offset = u32(o + 4), let size = u32(o + 8), offset + size <= p.count else { return nil }
            tags[String(decoding: p[o..<(o + 4)], as: UTF8.self)] = (offset, size)
        }
        func xyz(_ tag: String) -> [Double]? {
            guard let (o, size) = tags[tag], size >= 20, String(decoding: p[o..<(o + 4)], as: UTF8.self) == "XYZ ",
                  let x = s15(o + 8), let y = s15(o + 12), let z = s15(o + 16) else { return nil }
            return [x, y, z]
        }
        func curve(_ tag: String) -> [Float]? {
            guard let (o, size) = tags[tag], size >= 12 else { return nil }
            let type = String(decoding: p[o..<(o + 4)], as: UTF8.self)
            let f: (Double) -> Double
            if type == "curv" {
                guard let n = u32(o + 8), size >= 12 + 2 * n else { return nil }
                func entry(_ k: Int) -> Double { Double(Int(p[o + 12 + 2 * k]) << 8 | Int(p[o + 13 + 2 * k])) }
                if n == 0 {
                    f = { $0 }
                } else if n == 1 {
                    let gamma = entry(0) / 256
                    f = { pow($0, gamma) }
                } else {
                    f = { v in
                        let pos = v * Double(n - 1), k = min(n - 2, Int(pos))
                        let t = pos - Double(k)
                        return (entry(k) * (1 - t) + entry(k + 1) * t) / 65535
                    }
                }
            } else if type == "para" {
                let function = Int(p[o + 8]) << 8 | Int(p[o + 9])
                let counts = [1, 3, 4, 5, 7]
                guard function < counts.count, size >= 12 + 4 * counts[function] else { return nil }
                let g = (0..<counts[function]).map { s15(o + 12 + 4 * $0) ?? 0 }
                switch function {
                case 0: f = { pow($0, g[0]) }
                case 1: f = { $0 >= -g[2] / g[1] ? pow(g[1] * $0 + g[2], g[0]) : 0 }
                case 2: f = { $0 >= -g[2] / g[1] ? pow(g[1] * $0 + g[2], g[0]) + g[3] : g[3] }
                case 3: f = { $0 >= g[4] ? pow(g[1] * $0 + g[2], g[0]) : g[3] * $0 }
                default: f = { $0 >= g[4] ? pow(g[1] * $0 + g[2], g[0]) + g[5] : g[3] * $0 + g[6] }
                }
            } else {
                return nil
            }
            return (0..<4096).map { Float(max(0, min(1, f(Double($0) / 4095)))) }
        }
        guard let r = xyz("rXYZ"), let g = xyz("gXYZ"), let b = xyz("bXYZ"),
              let rc = curve("rTRC"), let gc = curve("gTRC"), let bc = curve("bTRC") else { return nil }
        var name = "an embedded profile"
        if let (o, size) = tags["desc"], size > 12 {
            let type = String(decoding: p[o..<(o + 4)], as: UTF8.self)
            if type == "desc", let n = u32(o + 8), n > 1, o + 12 + n <= p.count {
                name = String(decoding: p[(o + 12)..<(o + 11 + n)], as: UTF8.self)
            } else if type == "mluc", let records = u32(o + 8), records > 0, let len = u32(o + 20), let at = u32(o + 24),
                      o + at + len <= p.count {
                var units: [UInt16] = []
                for k in stride(from: o + at, to: o + at + len - 1, by: 2) { units.append(UInt16(p[k]) << 8 | UInt16(p[k + 1])) }
                name = String(decoding: units, as: UTF16.self)
            }
        }
        return ColorProfile(name: name, colorants: [[r[0], g[0], b[0]], [r[1], g[1], b[1]], [r[2], g[2], b[2]]],
                            curves: [rc, gc, bc])
    }

    /// An ICC matrix/TRC profile built byte by byte: colorants (XYZ, D50) and the sRGB tone curve
    /// as a `para` type 3 curve, with an `mluc` description (for fixtures and tests).
    public static func matrixProfile(name: String, red: [Double], green: [Double], blue: [Double]) -> [UInt8] {
        func u32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func s15(_ v: Double) -> [UInt8] { u32(Int(UInt32(bitPattern: Int32((v * 65536).rounded())))) }
        func xyz(_ c: [Double]) -> [UInt8] { Array("XYZ ".utf8) + [0, 0, 0, 0] + c.flatMap(s15) }
        let para = Array("para".utf8) + [0, 0, 0, 0, 0, 3, 0, 0] + [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045].flatMap(s15)
        let text = Array(name.utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let desc = Array("mluc".utf8) + [0, 0, 0, 0] + u32(1) + u32(12) + Array("enUS".utf8) + u32(text.count) + u32(28) + text
        let tags: [(String, [UInt8])] = [("desc", desc), ("rXYZ", xyz(red)), ("gXYZ", xyz(green)), ("bXYZ", xyz(blue)),
                                         ("rTRC", para), ("gTRC", para), ("bTRC", para)]
        var offset = 128 + 4 + 12 * tags.count
        var table: [UInt8] = u32(tags.count), data: [UInt8] = []
        for (sig, body) in tags {
            var padded = body
            while padded.count % 4 != 0 { padded.append(0) }
            table += Array(sig.utf8) + u32(offset) + u32(body.count)
            data += padded
            offset += padded.count
        }
        var header = [UInt8](repeating: 0, count: 128)
        header.replaceSubrange(0..<4, with: u32(128 + table.count + data.count))
        header.replaceSubrange(12..<16, with: Array("mntr".utf8))
        header.replaceSubrange(16..<20, with: Array("RGB ".utf8))
        header.replaceSubrange(20..<24, with: Array("XYZ ".utf8))
        header.replaceSubrange(36..<40, with: Array("acsp".utf8))
        return header + table + data
    }

    /// sRGB's colorants (D50-adapted, as in the sRGB IEC61966-2.1 profile).
    public static let srgbColorants: [[Double]] = [[0.4361, 0.3851, 0.1431], [0.2225, 0.7169, 0.0606], [0.0139, 0.0971, 0.7141]]

    /// Same primaries and a tone curve within a code value of sRGB's: nothing to convert.
    public var isSRGB: Bool {
        for i in 0..<3 { for j in 0..<3 where abs(colorants[i][j] - Self.srgbColorants[i][j]) > 0.003 { return false } }
        for c in curves {
            for k in stride(from: 0, to: 4096, by: 64) where abs(Double(c[k]) - Self.srgbDecode(Double(k) / 4095)) > 0.004 {
                return false
            }
        }
        return true
    }

    static func srgbDecode(_ v: Double) -> Double { v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4) }
    static func srgbEncode(_ v: Double) -> Double { v <= 0.0031308 ? v * 12.92 : 1.055 * pow(v, 1 / 2.4) - 0.055 }

    /// 3×3 inverse.
    static func inverse(_ m: [[Double]]) -> [[Double]] {
        let a = m[0][0], b = m[0][1], c = m[0][2], d = m[1][0], e = m[1][1], f = m[1][2], g = m[2][0], h = m[2][1], i = m[2][2]
        let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
        return [[(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
                [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
                [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det]]
    }

    /// The RGB pixels of `raster` (3 channels), re-expressed in sRGB: decode with this profile's
    /// curves, map through its colorants and sRGB's inverse (both D50), clip, encode with sRGB's curve.
    public func convertToSRGB(_ raster: Raster) -> Raster {
        precondition(raster.channels == 3)
        let inv = Self.inverse(Self.srgbColorants)
        var m = [Float](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { m[i * 3 + j] = Float((0..<3).reduce(0) { $0 + inv[i][$1] * colorants[$1][j] }) } }
        let decode = curves.map { c in (0..<256).map { c[min(4095, Int((Double($0) / 255 * 4095).rounded()))] } }
        let encode = (0..<4096).map { UInt8(max(0, min(255, (Self.srgbEncode(Double($0) / 4095) * 255).rounded()))) }
        var out = raster.pixels
        out.withUnsafeMutableBufferPointer { px in
            for i in stride(from: 0, to: px.count, by: 3) {
                let r = decode[0][Int(px[i])], g = decode[1][Int(px[i + 1])], b = decode[2][Int(px[i + 2])]
                for c in 0..<3 {
                    let v = m[c * 3] * r + m[c * 3 + 1] * g + m[c * 3 + 2] * b
                    px[i + c] = encode[Int(max(0, min(1, v)) * 4095 + 0.5)]
                }
            }
        }
        return Raster(width: raster.width, height: raster.height, channels: 3, pixels: out)
    }
}
