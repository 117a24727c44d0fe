#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PhotoCodec
import PreflightKit

/// The hostile-input set (`pp-fixtures hostile FIXTURES DIR`): a few hundred damaged, malicious
/// and oversized files made from the fixture photos, for the hostile-input test and the memory
/// measurement. Deterministic (a fixed seed), so a failure names a file that can be made again.
///
/// - truncations at every JPEG marker and PNG chunk boundary (and a few bytes either side);
/// - length fields set to 0, 1, 0xFFFF (JPEG) or 0, 0x7FFFFFFF, 0xFFFFFFFF (PNG);
/// - single bytes changed at random, and the two bytes that make a bad Huffman code;
/// - EXIF with offset loops, a 2,000-deep IFD chain, counts past the end, GPS pointing at IFD0;
/// - an ICC profile claimed in 255 APP2 chunks, chunks out of order, missing, oversized;
/// - decompression bombs under the 200 MP limit: a 14142×14142 RGBA PNG (plain, Adam7, 16-bit), a
///   progressive and a baseline JPEG claiming 14142×14142, zlib bombs in iCCP and zTXt;
/// - empty files, lone signatures, files named as another format.
enum Hostile {
    static func make(fixtures: String, to dir: String) -> Int {
        var count = 0
        var written = Set<String>()
        func put(_ bytes: [UInt8], _ name: String) {
            guard written.insert(name).inserted else { return }
            write(bytes, dir + "/" + name)
            count += 1
        }
        func read(_ relative: String) -> [UInt8] {
            guard let bytes = try? FileByteSource(path: fixtures + "/" + relative).readAll() else {
                fatalError("cannot read \(fixtures)/\(relative): run pp-fixtures fixtures first")
            }
            return bytes
        }
        var rng = SplitMix64(seed: 0x5EED)

        // JPEG mutants.
        for source in ["good/baseline-600x800.jpg", "good/progressive-640x640.jpg", "fixable/exif-rotated-6.jpg",
                       "fixable/gps-location.jpg", "fixable/cmyk-adobe-600x600.jpg"] {
            let jpeg = read(source)
            let stem = source.split(separator: "/").last!.split(separator: ".").first!
            let markers = jpegMarkers(jpeg)
            for (n, m) in markers.enumerated() {
                for cut in [m.offset, m.offset + 1, m.offset + 3, m.offset + 4 + m.length / 2] where cut > 0 && cut < jpeg.count {
                    put(Array(jpeg[..<cut]), "jpeg/\(stem)-cut-\(n)-\(cut).jpg")
                }
                guard m.length > 0 else { continue }
                for value in [0, 1, 0xFFFF] {
                    var b = jpeg
                    b[m.offset + 2] = UInt8(value >> 8)
                    b[m.offset + 3] = UInt8(value & 0xFF)
                    put(b, "jpeg/\(stem)-length-\(n)-\(value).jpg")
                }
            }
            for k in 0..<12 {
                var b = jpeg
                let at = 2 + Int(rng.next() % UInt64(jpeg.count - 2))
                b[at] ^= UInt8(truncatingIfNeeded: rng.next()) | 1
                put(b, "jpeg/\(stem)-flip-\(k)-\(at).jpg")
            }
        }
        var huffman = read("good/baseline-600x800.jpg")
        huffman[1415] = 0x7F
        huffman[1956] = 0x53
        put(huffman, "jpeg/bad-huffman-code.jpg")

        // EXIF.
        let plain = read("good/baseline-600x800.jpg")
        for (name, tiff) in hostileExif() {
            put(ContainerEditor.jpeg(plain, insertingExif: tiff), "exif/\(name).jpg")
        }
        // ICC profiles in APP2 segments.
        for (name, segments) in hostileICC() {
            // All segments at once, right after SOI.
            var b: [UInt8] = [0xFF, 0xD8]
            for payload in segments {
                let length = payload.count + 2
                b += [0xFF, 0xE2, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
            }
            b += plain[2...]
            put(b, "icc/\(name).jpg")
        }

        // PNG mutants.
        for source in ["good/rgb-640x640.png", "good/interlaced-600x600.png", "good/palette-600x600.png",
                       "fixable/sixteen-bit-600x600.png", "fixable/transparent-600x600.png"] {
            let png = read(source)
            let stem = source.split(separator: "/").last!.split(separator: ".").first!
            // The header chunks, the first, a middle and the last image-data chunk, and IEND.
            let chunks = pngChunks(png)
            let idats = chunks.indices.filter { String(decoding: png[(chunks[$0].offset + 4)..<(chunks[$0].offset + 8)], as: UTF8.self) == "IDAT" }
            var chosen = Set(chunks.indices.filter { !idats.contains($0) })
            if let first = idats.first, let last = idats.last { chosen.formUnion([first, idats[idats.count / 2], last]) }
            for (n, c) in chunks.enumerated() where chosen.contains(n) {
                for cut in [c.offset, c.offset + 4, c.offset + 8, c.offset + 8 + c.length / 2, c.offset + 8 + c.length]
                where cut > 0 && cut < png.count {
                    put(Array(png[..<cut]), "png/\(stem)-cut-\(n)-\(cut).png")
                }
                for value: UInt32 in [0, 0x7FFF_FFFF, 0xFFFF_FFFF] {
                    var b = png
                    for k in 0..<4 { b[c.offset + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * k)) }
                    put(b, "png/\(stem)-length-\(n)-\(value).png")
                }
                var crc = png
                crc[c.offset + 8 + c.length] ^= 0x55
                put(crc, "png/\(stem)-crc-\(n).png")
            }
            for k in 0..<12 {
                var b = png
                let at = 8 + Int(rng.next() % UInt64(png.count - 8))
                b[at] ^= UInt8(truncatingIfNeeded: rng.next()) | 1
                put(b, "png/\(stem)-flip-\(k)-\(at).png")
            }
        }
        let rgbPNG = read("good/rgb-640x640.png")
        // Chunks that claim a length they do not have: libpng 1.6.39 allocated and zero-filled a
        // buffer of the claimed size for text, eXIf and sPLT chunks (a 59-byte file took 1.8 GB).
        for type in ["iTXt", "tEXt", "zTXt", "eXIf", "sPLT", "iCCP", "tIME", "unKn"] {
            let header: [UInt8] = [0x6D, 0x00, 0x00, 0x30] + Array(type.utf8) + [1, 2, 3]
            put(Array(rgbPNG[..<33]) + header, "png/claims-1.8gb-\(type).png")
        }
        // zlib bombs in ancillary chunks: 64 MB of zeros in a few KB.
        let zeros = zlibZeros(64 << 20)
        put(ContainerEditor.png(rgbPNG, insertingChunk: "iCCP", data: Array("bomb".utf8) + [0, 0] + zeros), "png/iccp-zlib-bomb.png")
        put(ContainerEditor.png(rgbPNG, insertingChunk: "zTXt", data: Array("Comment".utf8) + [0, 0] + zeros), "png/ztxt-zlib-bomb.png")

        // Decompression bombs under the pixel limit.
        for (name, channels, depth, interlaced) in [("bomb-rgba-14142", 4, 8, false), ("bomb-rgba-14142-adam7", 4, 8, true),
                                                     ("bomb-rgba16-14142x7071", 4, 16, false)] {
            let height = name.hasSuffix("7071") ? 7071 : 14142
            put(zeroPNG(width: 14142, height: height, channels: channels, bitDepth: depth, interlaced: interlaced), "bombs/\(name).png")
        }
        for progressive in [true, false] {
            var o = JPEGCodec.EncodeOptions()
            o.progressive = progressive
            o.chroma420 = false
            var b = try! JPEGCodec.encode(Raster(width: 64, height: 64, fill: [120, 130, 140]), options: o)
            let sofMarker: UInt8 = progressive ? 0xC2 : 0xC0
            if let sof = (0..<(b.count - 1)).first(where: { b[$0] == 0xFF && b[$0 + 1] == sofMarker }) {
                for at in [sof + 5, sof + 7] { b[at] = UInt8(14142 >> 8); b[at + 1] = UInt8(14142 & 0xFF) }
            }
            put(b, "bombs/\(progressive ? "progressive" : "baseline")-14142.jpg")
        }

        // Odds and ends.
        put([], "odd/empty.jpg")
        put([0xFF, 0xD8], "odd/soi-only.jpg")
        put([0xFF, 0xD8, 0xFF, 0xD9], "odd/soi-eoi.jpg")
        put([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "odd/png-signature-only.png")
        put(rgbPNG, "odd/png-named.jpg")
        put(plain, "odd/jpeg-named.png")
        put(Array("<html><body>Not found</body></html>".utf8), "odd/error-page.jpg")
        return count
    }

    struct Segment {
        var offset: Int
        var length: Int
    }

    /// Marker segments up to and including the first scan (SOS), and EOI.
    static func jpegMarkers(_ b: [UInt8]) -> [Segment] {
        var out: [Segment] = []
        var i = 2
        while i + 4 <= b.count, b[i] == 0xFF {
            let marker = b[i + 1]
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            out.append(Segment(offset: i, length: length))
            if marker == 0xDA { break }
            i += 2 + length
        }
        if b.count >= 2 { out.append(Segment(offset: b.count - 2, length: 0)) }
        return out
    }

    static func pngChunks(_ b: [UInt8]) -> [Segment] {
        var out: [Segment] = []
        var i = 8
        while i + 12 <= b.count {
            let length = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard i + 12 + length <= b.count else { break }
            out.append(Segment(offset: i, length: length))
            i += 12 + length
        }
        return out
    }

    /// TIFF blocks (big-endian) with hostile structure.
    static func hostileExif() -> [(String, [UInt8])] {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let head = Array("MM".utf8) + [0, 42] + u32(8)
        var cases: [(String, [UInt8])] = []
        // IFD0 whose next-IFD pointer and GPS/Exif pointers all point back at itself.
        cases.append(("loop-self", head + u16(2) + u16(0x8825) + u16(4) + u32(1) + u32(8) + u16(0x8769) + u16(4) + u32(1) + u32(8) + u32(8)))
        // GPS IFD and Exif IFD pointing at each other.
        cases.append(("loop-pair", head + u16(2) + u16(0x8825) + u16(4) + u32(1) + u32(34) + u16(0x8769) + u16(4) + u32(1) + u32(52) + u32(0)
                      + u16(1) + u16(0x8769) + u16(4) + u32(1) + u32(52) + u32(34)
                      + u16(1) + u16(0x8825) + u16(4) + u32(1) + u32(34) + u32(52)))
        // A chain of 2,000 IFDs, each pointing to the next.
        var chain = head
        for k in 0..<2000 {
            let here = 8 + k * 18
            chain += u16(1) + u16(0x0112) + u16(3) + u32(1) + u16(6) + u16(0) + u32(k == 1999 ? 0 : here + 18)
        }
        cases.append(("ifd-chain-2000", chain))
        // Entry counts far beyond the data, offsets past the end, a negative-looking offset.
        cases.append(("count-65535", head + u16(0xFFFF) + u16(0x0112) + u16(3) + u32(1) + u16(6) + u16(0)))
        cases.append(("ifd0-past-end", Array("MM".utf8) + [0, 42] + u32(0x7FFF_FFF0)))
        cases.append(("ifd0-max", Array("MM".utf8) + [0, 42] + u32(0xFFFF_FFFF)))
        cases.append(("gps-past-end", head + u16(1) + u16(0x8825) + u16(4) + u32(1) + u32(0xFFFF_FFF0) + u32(0)))
        cases.append(("orientation-huge", head + u16(1) + u16(0x0112) + u16(4) + u32(1) + u32(0xFFFF_FFFF) + u32(0)))
        cases.append(("orientation-zero", head + u16(1) + u16(0x0112) + u16(3) + u32(1) + u16(0) + u16(0) + u32(0)))
        cases.append(("not-tiff", Array("XX".utf8) + [0, 42] + u32(8)))
        cases.append(("tiny", [0x4D, 0x4D]))
        return cases
    }

    /// Lists of APP2 payloads ("ICC_PROFILE\0", sequence, count, data).
    static func hostileICC() -> [(String, [[UInt8]])] {
        let tag = Array("ICC_PROFILE\0".utf8)
        var garbage = SplitMix64(seed: 42)
        func chunk(_ seq: Int, _ count: Int, _ size: Int) -> [UInt8] {
            tag + [UInt8(seq & 0xFF), UInt8(count & 0xFF)] + (0..<size).map { _ in UInt8(truncatingIfNeeded: garbage.next()) }
        }
        return [
            ("255-chunks", (1...255).map { chunk($0, 255, 4000) }),
            ("max-chunks-64k", (1...40).map { chunk($0, 40, 65_000) }),
            ("out-of-order", [chunk(3, 3, 200), chunk(1, 3, 200), chunk(2, 3, 200)]),
            ("missing-chunk", [chunk(1, 3, 200), chunk(3, 3, 200)]),
            ("sequence-zero", [chunk(0, 0, 200)]),
            ("duplicate", [chunk(1, 1, 200), chunk(1, 1, 300)]),
            ("empty", [tag + [1, 1]]),
            ("header-only", [tag]),
        ]
    }

    /// A zlib stream that inflates to `count` zero bytes, written directly: one deflate block with
    /// the fixed Huffman codes, a literal 0 and then matches of 258 bytes at distance 1 (13 bits
    /// each), so 64 MB of zeros take 400 KB and no time to make.
    static func zlibZeros(_ count: Int) -> [UInt8] {
        var out: [UInt8] = [0x78, 0xDA]
        var bits: UInt64 = 0, used = 0
        func put(_ value: Int, _ n: Int) {  // LSB first
            bits |= UInt64(value) << UInt64(used)
            used += n
            while used >= 8 {
                out.append(UInt8(truncatingIfNeeded: bits))
                bits >>= 8
                used -= 8
            }
        }
        func code(_ value: Int, _ n: Int) {  // Huffman codes go MSB first
            var reversed = 0
            for k in 0..<n where value & (1 << k) != 0 { reversed |= 1 << (n - 1 - k) }
            put(reversed, n)
        }
        put(1, 1)  // BFINAL
        put(1, 2)  // BTYPE 01: fixed codes
        if count > 0 {
            code(0x30, 8)  // literal 0
            var left = count - 1
            while left >= 258 {
                code(0xC5, 8)  // length 258 (code 285)
                code(0, 5)     // distance 1
                left -= 258
            }
            for _ in 0..<left { code(0x30, 8) }
        }
        code(0, 7)  // end of block (256)
        if used > 0 { out.append(UInt8(truncatingIfNeeded: bits)) }
        let b = UInt32(count % 65521), a: UInt32 = 1  // Adler-32 of zeros
        let adler = b << 16 | a
        out += [UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
        return out
    }

    /// A valid PNG of all-zero samples (every row filter 0), as large as asked, in a few KB.
    static func zeroPNG(width: Int, height: Int, channels: Int, bitDepth: Int, interlaced: Bool) -> [UInt8] {
        let colorType: UInt8 = [1: 0, 2: 4, 3: 2, 4: 6][channels]!
        func rowBytes(_ w: Int) -> Int { (w * channels * bitDepth + 7) / 8 }
        var raw = 0
        if interlaced {
            let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            for (x0, y0, dx, dy) in passes {
                let cols = (width - x0 + dx - 1) / dx, rows = (height - y0 + dy - 1) / dy
                if cols > 0 && rows > 0 { raw += rows * (1 + rowBytes(cols)) }
            }
        } else {
            raw = height * (1 + rowBytes(width))
        }
        func u32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let ihdr = u32(width) + u32(height) + [UInt8(bitDepth), colorType, 0, 0, interlaced ? 1 : 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + ContainerEditor.chunk("IHDR", ihdr)
            + ContainerEditor.chunk("IDAT", zlibZeros(raw)) + ContainerEditor.chunk("IEND", [])
    }
}
