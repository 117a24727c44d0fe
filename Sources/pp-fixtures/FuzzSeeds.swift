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
        // ONNX: a small graph using every operator the network runtime takes.
        put("onnx", "every-operator.onnx", ONNXSeed.everyOperator())
        put("onnx", "relu.onnx", ONNXSeed.single(ONNXSeed.node("Relu", ["x"], "y"), weights: [], outDims: [1, 3, 32, 32]))
        put("onnx", "dense-5x5.onnx", ONNXSeed.single(
            ONNXSeed.node("Conv", ["x", "w", "b"], "y", ONNXSeed.ints("kernel_shape", [5, 5]) + ONNXSeed.ints("pads", [2, 2, 2, 2])),
            weights: [ONNXSeed.floats("w", [2, 3, 5, 5], (0..<150).map { Float($0 % 5) * 0.01 }), ONNXSeed.floats("b", [2], [0.5, -0.5])],
            outDims: [1, 2, 32, 32]))
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

/// A tiny ONNX model written from scratch (protobuf wire format): Conv 3×3 stride 2 → Relu →
/// Conv 1×1 → depthwise Conv 3×3 → MaxPool → Resize ×2 → Add → Transpose → Reshape → Sigmoid.
enum ONNXSeed {
    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        repeat {
            out.append(UInt8(v & 0x7F) | (v >= 0x80 ? 0x80 : 0))
            v >>= 7
        } while v > 0
        return out
    }
    static func bytes(_ n: Int, _ payload: [UInt8]) -> [UInt8] { varint(UInt64(n << 3 | 2)) + varint(UInt64(payload.count)) + payload }
    static func string(_ n: Int, _ s: String) -> [UInt8] { bytes(n, Array(s.utf8)) }
    static func int(_ n: Int, _ v: Int64) -> [UInt8] { varint(UInt64(n << 3)) + varint(UInt64(bitPattern: v)) }

    static func floats(_ name: String, _ dims: [Int], _ values: [Float]) -> [UInt8] {
        dims.flatMap { int(1, Int64($0)) } + int(2, 1) + string(8, name)
            + bytes(9, values.flatMap { f in (0..<4).map { UInt8(truncatingIfNeeded: f.bitPattern >> UInt32(8 * $0)) } })
    }
    static func int64s(_ name: String, _ values: [Int64]) -> [UInt8] {
        int(1, Int64(values.count)) + int(2, 7) + string(8, name)
            + bytes(9, values.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> UInt64(8 * $0)) } })
    }
    static func ints(_ name: String, _ v: [Int64]) -> [UInt8] { bytes(5, string(1, name) + bytes(8, v.flatMap { varint(UInt64(bitPattern: $0)) }) + int(20, 7)) }
    static func intAttr(_ name: String, _ v: Int64) -> [UInt8] { bytes(5, string(1, name) + int(3, v) + int(20, 2)) }
    static func stringAttr(_ name: String, _ v: String) -> [UInt8] { bytes(5, string(1, name) + string(4, v) + int(20, 3)) }
    static func node(_ op: String, _ inputs: [String], _ output: String, _ attributes: [UInt8] = []) -> [UInt8] {
        bytes(1, inputs.flatMap { string(1, $0) } + string(2, output) + string(3, output) + string(4, op) + attributes)
    }

    /// A graph of one node from input x [1, 3, 32, 32] to output y.
    static func single(_ node: [UInt8], weights: [[UInt8]], outDims: [Int]) -> [UInt8] {
        var graph = string(2, "single") + node
        for t in weights { graph += bytes(5, t) }
        let dims = [1, 3, 32, 32].flatMap { bytes(1, int(1, Int64($0))) }
        graph += bytes(11, string(1, "x") + bytes(2, bytes(1, int(1, 1) + bytes(2, dims))))
        graph += bytes(12, string(1, "y") + bytes(2, bytes(1, int(1, 1) + bytes(2, outDims.flatMap { bytes(1, int(1, Int64($0))) }))))
        return int(1, 6) + bytes(8, string(1, "") + int(2, 11)) + bytes(7, graph)
    }

    static func everyOperator() -> [UInt8] {
        func ramp(_ n: Int, _ scale: Float) -> [Float] { (0..<n).map { Float($0 % 7 - 3) * scale } }
        var graph: [UInt8] = string(2, "every-operator")
        graph += node("Conv", ["x", "w1", "b1"], "c1", ints("kernel_shape", [3, 3]) + ints("strides", [2, 2]) + ints("pads", [1, 1, 1, 1]))
        graph += node("Relu", ["c1"], "r1")
        graph += node("Conv", ["r1", "w2", "b2"], "c2", ints("kernel_shape", [1, 1]))
        graph += node("Conv", ["c2", "w3", "b3"], "c3", ints("kernel_shape", [3, 3]) + ints("pads", [1, 1, 1, 1]) + intAttr("group", 4))
        graph += node("MaxPool", ["c3"], "m", ints("kernel_shape", [2, 2]) + ints("strides", [2, 2]))
        graph += node("Resize", ["m", "roi", "scales"], "u", stringAttr("mode", "nearest")
                      + stringAttr("coordinate_transformation_mode", "asymmetric") + stringAttr("nearest_mode", "floor"))
        graph += node("Add", ["u", "c3"], "a")
        graph += node("Transpose", ["a"], "t", ints("perm", [0, 2, 3, 1]))
        graph += node("Reshape", ["t", "shape"], "rs")
        graph += node("Sigmoid", ["rs"], "y")
        for t in [floats("w1", [4, 3, 3, 3], ramp(108, 0.01)), floats("b1", [4], [0.1, 0, -0.1, 0.2]),
                  floats("w2", [4, 4, 1, 1], ramp(16, 0.1)), floats("b2", [4], [0, 0, 0, 0]),
                  floats("w3", [4, 1, 3, 3], ramp(36, 0.1)), floats("b3", [4], [0, 0.1, 0, 0.1]),
                  floats("roi", [0], []), floats("scales", [4], [1, 1, 2, 2]), int64s("shape", [1, -1, 4])] {
            graph += bytes(5, t)
        }
        let dims = [1, 3, 32, 32].flatMap { bytes(1, int(1, Int64($0))) }
        graph += bytes(11, string(1, "x") + bytes(2, bytes(1, int(1, 1) + bytes(2, dims))))
        let outDims = [1, 256, 4].flatMap { bytes(1, int(1, Int64($0))) }
        graph += bytes(12, string(1, "y") + bytes(2, bytes(1, int(1, 1) + bytes(2, outDims))))
        return int(1, 6) + bytes(8, string(1, "") + int(2, 11)) + bytes(7, graph)
    }
}
