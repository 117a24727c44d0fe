#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The image pipeline's pixel operations: colour normalisation, regions, rotation, resampling.
extension Raster {
    /// Three-channel RGB: grey is expanded, and alpha is composited over `background`.
    public func rgb(over background: (UInt8, UInt8, UInt8) = (255, 255, 255)) -> Raster {
        if channels == 3 { return self }
        let n = width * height
        var out = [UInt8](repeating: 0, count: n * 3)
        let bg = [Int(background.0), Int(background.1), Int(background.2)]
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                switch channels {
                case 1:
                    for i in 0..<n { let v = src[i]; dst[3 * i] = v; dst[3 * i + 1] = v; dst[3 * i + 2] = v }
                case 4:
                    for i in 0..<n {
                        let a = Int(src[4 * i + 3])
                        for c in 0..<3 {
                            // Rounded (v·a + bg·(255 − a)) / 255.
                            let v = Int(src[4 * i + c]) * a + bg[c] * (255 - a)
                            dst[3 * i + c] = UInt8((v + 127) / 255)
                        }
                    }
                default:
                    for i in 0..<n {
                        let v = src[i * channels]
                        dst[3 * i] = v; dst[3 * i + 1] = v; dst[3 * i + 2] = v
                    }
                }
            }
        }
        return Raster(width: width, height: height, channels: 3, pixels: out)
    }

    /// The mean colour of the outermost rows and columns (a plain background to pad with).
    public var borderMean: [UInt8] {
        var sums = [Int](repeating: 0, count: channels)
        var count = 0
        func add(_ x: Int, _ y: Int) {
            let p = (y * width + x) * channels
            for c in 0..<channels { sums[c] += Int(pixels[p + c]) }
            count += 1
        }
        for x in 0..<width { add(x, 0); add(x, height - 1) }
        for y in 0..<height { add(0, y); add(width - 1, y) }
        return sums.map { UInt8(($0 + count / 2) / max(1, count)) }
    }

    /// The pixels of the rectangle (x, y, w, h), which may reach outside the image; pixels
    /// outside take `fill` (one value per channel).
    public func region(x: Int, y: Int, width w: Int, height h: Int, fill: [UInt8]) -> Raster {
        precondition(w > 0 && h > 0 && fill.count == channels)
        var out = [UInt8](repeating: 0, count: w * h * channels)
        for c in 0..<channels where fill[c] != 0 {
            for i in 0..<(w * h) { out[i * channels + c] = fill[c] }
        }
        let x0 = max(0, x), x1 = min(width, x + w)
        guard x1 > x0 else { return Raster(width: w, height: h, channels: channels, pixels: out) }
        for row in max(0, y)..<min(height, y + h) {
            let src = (row * width + x0) * channels, dst = ((row - y) * w + (x0 - x)) * channels
            let n = (x1 - x0) * channels
            out.withUnsafeMutableBufferPointer { o in
                pixels.withUnsafeBufferPointer { p in
                    (o.baseAddress! + dst).update(from: p.baseAddress! + src, count: n)
                }
            }
        }
        return Raster(width: w, height: h, channels: channels, pixels: out)
    }

    /// The image turned by `degrees` about (cx, cy) so that a line at that angle (image
    /// coordinates, y down) comes out level; same size, bilinear, samples beyond the edges clamp
    /// to the nearest edge pixel (`sourcePoint` tells where an output pixel came from).
    public func levelled(degrees: Double, cx: Double, cy: Double) -> Raster {
        levelledRegion(degrees: degrees, cx: cx, cy: cy, x: 0, y: 0, width: width, height: height)
    }

    /// The rectangle (x, y, w, h) of `levelled(degrees:cx:cy:)`, computed without turning the
    /// rest of the image. With `fill`, pixels whose source lies outside the image take it
    /// instead of the nearest edge pixel.
    /// With `mirror`, they sample the photo reflected at its edges instead: a padded or turned
    /// frame shows the photo's own edge continued, never a flat wedge of colour.
    public func levelledRegion(degrees: Double, cx: Double, cy: Double, x rx: Int, y ry: Int, width rw: Int, height rh: Int,
                               fill: [UInt8]? = nil, mirror: Bool = false) -> Raster {
        let a = degrees * Double.pi / 180, cs = cos(a), sn = sin(a)
        let ch = channels, w = width, h = height
        // Source coordinates in 16.16 fixed point, stepped along each output row; bilinear
        // weights in 1/256ths (an error of at most one level against exact weights).
        let one = 65536.0
        let stepX = Int((cs * one).rounded()), stepY = Int((sn * one).rounded())
        let maxX = (w - 1) << 16, maxY = (h - 1) << 16, half = 1 << 15
        let fillValues = fill ?? []
        let useFill = fill != nil
        let out = [UInt8](unsafeUninitializedCapacity: rw * rh * ch) { dstBuffer, initialized in
            pixels.withUnsafeBufferPointer { srcBuffer in
                let src = srcBuffer.baseAddress!, dst = dstBuffer.baseAddress!
                for oy in 0..<rh {
                    let qy = Double(ry + oy) - cy, qx = Double(rx) - cx
                    var ux = Int(((cx + cs * qx - sn * qy) * one).rounded())
                    var uy = Int(((cy + sn * qx + cs * qy) * one).rounded())
                    var o = oy * rw * ch
                    for _ in 0..<rw {
                        defer { ux += stepX; uy += stepY; o += ch }
                        if useFill, ux < -half || uy < -half || ux > maxX + half || uy > maxY + half {
                            for c in 0..<ch { dst[o + c] = fillValues[c] }
                            continue
                        }
                        var sx = ux, sy = uy
                        if mirror {
                            sx = Raster.reflect(sx, maxX)
                            sy = Raster.reflect(sy, maxY)
                        }
                        sx = min(maxX, max(0, sx))
                        sy = min(maxY, max(0, sy))
                        let x0 = sx >> 16, y0 = sy >> 16
                        let fx = (sx >> 8) & 255, fy = (sy >> 8) & 255
                        let dx = x0 < w - 1 ? ch : 0, dy = y0 < h - 1 ? w * ch : 0
                        let p = src + (y0 * w + x0) * ch
                        for c in 0..<ch {
                            let top = Int(p[c]) * (256 - fx) + Int(p[c + dx]) * fx
                            let bottom = Int(p[c + dy]) * (256 - fx) + Int(p[c + dy + dx]) * fx
                            dst[o + c] = UInt8(truncatingIfNeeded: (top * (256 - fy) + bottom * fy + half) >> 16)
                        }
                    }
                }
            }
            initialized = rw * rh * ch
        }
        return Raster(width: rw, height: rh, channels: ch, pixels: out)
    }

    /// `v` reflected into 0...limit (a mirror at each end; far outside, it bounces again).
    static func reflect(_ v: Int, _ limit: Int) -> Int {
        guard limit > 0 else { return 0 }
        let period = 2 * limit
        var m = v % period
        if m < 0 { m += period }
        return m > limit ? period - m : m
    }

    /// The rectangle (x, y, w, h), which may reach outside the image: pixels outside repeat the
    /// photo mirrored at its edges (as `levelledRegion(…, mirror: true)` with no turn).
    public func mirroredRegion(x: Int, y: Int, width w: Int, height h: Int) -> Raster {
        precondition(w > 0 && h > 0)
        let ch = channels
        let xs = (0..<w).map { Raster.reflect(x + $0, width - 1) }
        var out = [UInt8](repeating: 0, count: w * h * ch)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<h {
                    let sy = Raster.reflect(y + row, height - 1)
                    let base = sy * width
                    var o = row * w * ch
                    for sx in xs {
                        let p = (base + sx) * ch
                        for c in 0..<ch { dst[o + c] = src[p + c] }
                        o += ch
                    }
                }
            }
        }
        return Raster(width: w, height: h, channels: ch, pixels: out)
    }

    /// Where output pixel (x, y) of `levelled(degrees:cx:cy:)` samples the source (unclamped).
    public static func sourcePoint(ofLevelled x: Double, _ y: Double, degrees: Double, cx: Double, cy: Double) -> (Double, Double) {
        let a = degrees * Double.pi / 180
        let qx = x - cx, qy = y - cy
        return (cx + cos(a) * qx - sin(a) * qy, cy + sin(a) * qx + cos(a) * qy)
    }

    /// Resampled so its long side is `longSide` (the short side in proportion, rounded, at least 1).
    public func scaled(toLongSide longSide: Int) -> Raster {
        let long = max(width, height)
        guard long != longSide, longSide > 0 else { return self }
        let w = max(1, Int((Double(width) * Double(longSide) / Double(long)).rounded()))
        let h = max(1, Int((Double(height) * Double(longSide) / Double(long)).rounded()))
        return resampled(width: w, height: h)
    }

    /// Resampled to `nw`×`nh`: exact area averaging along each axis that shrinks (every source
    /// pixel weighted by how much of it an output pixel covers), bilinear along an axis that grows.
    public func resampled(width nw: Int, height nh: Int) -> Raster {
        precondition(nw > 0 && nh > 0)
        if nw == width && nh == height { return self }
        let horizontal = Raster.FlatTaps(Raster.taps(from: width, to: nw))
        let vertical = Raster.FlatTaps(Raster.taps(from: height, to: nh))
        let ch = channels, w = width, rowFloats = nw * ch
        // Horizontal pass into floats, then vertical pass (whole rows at a time) to bytes.
        var mid = [Float](repeating: 0, count: rowFloats * height)
        pixels.withUnsafeBufferPointer { srcBuffer in
            mid.withUnsafeMutableBufferPointer { midBuffer in
                horizontal.weights.withUnsafeBufferPointer { weights in
                    let src = srcBuffer.baseAddress!, m = midBuffer.baseAddress!, wt = weights.baseAddress!
                    let stride = horizontal.stride
                    for y in 0..<height {
                        let row = src + y * w * ch, out = m + y * rowFloats
                        for x in 0..<nw {
                            let first = horizontal.first[x], count = horizontal.count[x]
                            let tw = wt + x * stride
                            if ch == 3 {
                                var a0: Float = 0, a1: Float = 0, a2: Float = 0
                                var p = row + first * 3
                                for k in 0..<count {
                                    let f = tw[k]
                                    a0 += Float(p[0]) * f; a1 += Float(p[1]) * f; a2 += Float(p[2]) * f
                                    p += 3
                                }
                                out[x * 3] = a0; out[x * 3 + 1] = a1; out[x * 3 + 2] = a2
                            } else {
                                for c in 0..<ch {
                                    var acc: Float = 0
                                    for k in 0..<count { acc += Float(row[(first + k) * ch + c]) * tw[k] }
                                    out[x * ch + c] = acc
                                }
                            }
                        }
                    }
                }
            }
        }
        var acc = [Float](repeating: 0, count: rowFloats)
        let out = [UInt8](unsafeUninitializedCapacity: rowFloats * nh) { dstBuffer, initialized in
            mid.withUnsafeBufferPointer { midBuffer in
                acc.withUnsafeMutableBufferPointer { accBuffer in
                    let m = midBuffer.baseAddress!, a = accBuffer.baseAddress!, dst = dstBuffer.baseAddress!
                    for y in 0..<nh {
                        let first = vertical.first[y], count = vertical.count[y]
                        for i in 0..<rowFloats { a[i] = 0 }
                        for k in 0..<count {
                            let f = vertical.weights[y * vertical.stride + k], src = m + (first + k) * rowFloats
                            for i in 0..<rowFloats { a[i] += src[i] * f }
                        }
                        let d = dst + y * rowFloats
                        for i in 0..<rowFloats { d[i] = UInt8(max(0, min(255, a[i].rounded()))) }
                    }
                }
            }
            initialized = rowFloats * nh
        }
        return Raster(width: nw, height: nh, channels: ch, pixels: out)
    }

    /// `taps` laid out flat: per output index its first source index, its count, and `stride`
    /// weight slots (unused ones zero).
    struct FlatTaps {
        var first: [Int]
        var count: [Int]
        var weights: [Float]
        var stride: Int
        init(_ taps: [Taps]) {
            stride = taps.map(\.count).max() ?? 1
            first = taps.map(\.first)
            count = taps.map(\.count)
            weights = [Float](repeating: 0, count: taps.count * stride)
            for (i, t) in taps.enumerated() {
                for k in 0..<t.count { weights[i * stride + k] = t.weights[k] }
            }
        }
    }

    struct Taps { var first: Int; var count: Int; var weights: [Float] }

    /// Per output index, the source indices and weights (summing to 1) along one axis.
    static func taps(from n: Int, to m: Int) -> [Taps] {
        let scale = Double(n) / Double(m)
        return (0..<m).map { i in
            if scale > 1 {
                let a = Double(i) * scale, b = a + scale
                let first = Int(a), last = min(n - 1, Int((b - 1e-9).rounded(.down)))
                var w: [Float] = []
                for s in first...last {
                    let cover = min(b, Double(s + 1)) - max(a, Double(s))
                    w.append(Float(cover / scale))
                }
                return Taps(first: first, count: w.count, weights: w)
            }
            let f = max(0, (Double(i) + 0.5) * scale - 0.5)
            let s0 = min(n - 1, Int(f)), s1 = min(n - 1, s0 + 1)
            let t = Float(f - Double(s0))
            return s1 == s0 ? Taps(first: s0, count: 1, weights: [1]) : Taps(first: s0, count: 2, weights: [1 - t, t])
        }
    }
}
