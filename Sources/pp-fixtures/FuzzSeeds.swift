import PhotoCodec
import PreflightKit

/// The seed corpus of the fuzz targets (`pp-fixtures fuzz-seeds DIR`, committed as
/// Fixtures/fuzz/TARGET/): small, valid inputs of every kind each target reads, so that libFuzzer
/// starts from deep inside the parsers. Deterministic.
enum FuzzSeeds {
    static func make(_ dir: String) -> Int {
        var count = 0
        func put(_ target: String, _ name: String, _ bytes: [UInt8]) {
            write(bytes, "\(dir)/\(target)/\(name)")
            count += 1
        }
        let picture = Synth.portrait(width: 24, height: 16, seed: 9, noise: 6)

        // JPEG: the coding variants the decoder takes.
        var jpegs: [(String, [UInt8])] = []
        for (name, configure) in [("baseline", { (_: inout JPEGCodec.EncodeOptions) in }),
                                  ("progressive", { $0.progressive = true }),
                                  ("444", { $0.chroma420 = false }),
                                  ("arithmetic", { $0.arithmetic = true })] as [(String, (inout JPEGCodec.EncodeOptions) -> Void)] {
            jpegs.append((name, jpeg(picture, quality: 80, configure)))
        }
        jpegs.append(("grey", jpeg(Synth.grey(picture), quality: 80)))
        jpegs.append(("cmyk-adobe", jpeg(Synth.invertedCMYK(picture), quality: 80) { $0.fileColorSpace = .ycck }))
        let exifJPEG = ContainerEditor.jpeg(jpegs[0].1, insertingExif: ContainerEditor.exif(orientation: 6, gps: true, serialNumber: "S1"))
        jpegs.append(("exif", exifJPEG))
        for (name, bytes) in jpegs {
            put("jpeg", name + ".jpg", bytes)
            put("probe", name + ".jpg", bytes)
        }

        // PNG: every colour type, some depths, tRNS, Adam7.
        var rng = SplitMix64(seed: 3)
        let shapes: [(String, PNGCodec.ColorType, Int)] = [("grey1", .gray, 1), ("grey8", .gray, 8), ("grey16", .gray, 16),
                                                           ("rgb8", .rgb, 8), ("rgb16", .rgb, 16), ("palette4", .palette, 4),
                                                           ("ga8", .grayAlpha, 8), ("rgba8", .rgba, 8), ("rgba16", .rgba, 16)]
        for (name, type, depth) in shapes {
            for interlaced in [false, true] {
                var samples = PNGCodec.Samples(width: 13, height: 9, bitDepth: depth, colorType: type, data: [])
                samples.data = (0..<(samples.rowBytes * 9)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                samples.interlaced = interlaced
                if type == .palette {
                    samples.palette = (0..<48).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    samples.transparency = [0, 90, 255]
                }
                let png = try! PNGCodec.encode(samples: samples)
                put("png", "\(name)\(interlaced ? "-adam7" : "").png", png)
                if !interlaced { put("probe", "\(name).png", png) }
            }
        }

        // EXIF: TIFF blocks, plain and hostile.
        put("exif", "orientation-gps-serial.tiff", ContainerEditor.exif(orientation: 8, gps: true, serialNumber: "ABC123"))
        put("exif", "orientation.tiff", ContainerEditor.exif(orientation: 3))
        for (name, tiff) in Hostile.hostileExif() where tiff.count < 4096 {
            put("exif", name + ".tiff", tiff)
        }

        // ICC: a profile alone, split over APP2 segments, and in a PNG iCCP chunk (stored deflate).
        let p3 = ColorProfile.matrixProfile(name: "Display P3", red: ColorProfile.displayP3.red,
                                           green: ColorProfile.displayP3.green, blue: ColorProfile.displayP3.blue)
        put("icc", "display-p3.icc", p3)
        var split = jpegs[0].1
        let third = (p3.count + 2) / 3
        for k in (0..<3).reversed() {
            let part = Array(p3[(k * third)..<min(p3.count, (k + 1) * third)])
            split = ContainerEditor.jpeg(split, insertingSegment: 0xE2, payload: Array("ICC_PROFILE\0".utf8) + [UInt8(k + 1), 3] + part)
        }
        put("icc", "p3-in-3-segments.jpg", split)
        put("probe", "p3-in-3-segments.jpg", split)
        let png = try! PNGCodec.encode(picture)
        put("icc", "p3-iccp.png", ContainerEditor.png(png, insertingChunk: "iCCP", data: Array("P3".utf8) + [0, 0] + zlibStored(p3)))

        // Rules files.
        if let shipped = try? FileByteSource(path: "rules.json").readAll() { put("rules", "rules.json", shipped) }
        put("rules", "extends.json", Array(#"""
            {"version": 1, "default_profile": "mine", "profiles": {"mine": {"extends": "base", "description": "x",
             "rules": {"file_size": {"severity": "warning", "max_bytes": 5000000}, "format": {"accepted": ["jpeg"]}}},
             "base": {"rules": {"resolution": {"min_width": 720, "min_height": 720, "recommended_short_side": 1080},
             "metadata": {"gps": "error"}, "face_centered": {"warn_percent": 3}}}}}
            """#.utf8))
        put("rules", "cycle.json", Array(#"{"version": 1, "profiles": {"a": {"extends": "b"}, "b": {"extends": "a"}}}"#.utf8))
        put("rules", "escapes.json", Array(#"{"version": 1, "profiles": {"\u00e9\ud83d\ude00": {"description": "a\"b\\c\n"}}}"#.utf8))
        return count
    }

    /// A zlib stream holding `data` in stored (uncompressed) deflate blocks.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var at = 0
        repeat {
            let n = min(65535, data.count - at)
            let final: UInt8 = at + n == data.count ? 1 : 0
            out += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8 & 0xFF)]
            out += data[at..<(at + n)]
            at += n
        } while at < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        let adler = b << 16 | a
        return out + [UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
    }
}
