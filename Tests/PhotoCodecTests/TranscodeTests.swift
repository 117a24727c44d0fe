import Foundation
import PhotoCodec
import Testing

/// The lossless JPEG rewriter against its reference, jpegtran (libjpeg-turbo-progs), byte for
/// byte; and its requantisation and size estimates.
@Suite("JPEG transcoder")
struct TranscodeTests {
    static let jpegtran: String? = ["/usr/bin/jpegtran", "/usr/local/bin/jpegtran"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// jpegtran's output for `arguments` on `input`, or nil when it refuses (exit ≠ 0).
    static func jpegtran(_ arguments: [String], _ input: String) throws -> [UInt8]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(jpegtran))
        process.arguments = arguments + [input]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? [UInt8](data) : nil
    }

    static let transforms: [Int: [String]] = [
        1: [], 2: ["-flip", "horizontal"], 3: ["-rotate", "180"], 4: ["-flip", "vertical"], 5: ["-transpose"],
        6: ["-rotate", "90"], 7: ["-transverse"], 8: ["-rotate", "270"],
    ]

    @Test("every EXIF orientation, with and without a crop, is byte-identical to jpegtran -perfect -optimize -copy none",
          arguments: ["eval/good-centred.jpg", "eval/good-wide.jpg", "photos/good/baseline-600x800.jpg",
                      "photos/good/greyscale-600x600.jpg", "photos/good/progressive-640x640.jpg"])
    func matchesJpegtran(_ name: String) throws {
        guard Self.jpegtran != nil else {
            Issue.record("jpegtran is not installed (scripts/install-deps.sh installs libjpeg-turbo-progs)")
            return
        }
        let path = fixturesRoot + "/" + name
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for orientation in 1...8 {
            let base = ["-perfect"] + Self.transforms[orientation]! + ["-optimize", "-copy", "none"]
            let reference = try Self.jpegtran(base, path)
            let opened = Result { () throws(TranscodeError) -> JPEGTranscoder in try JPEGTranscoder(.memory(data), orientation: orientation) }
            guard case .success(let transcoder) = opened else {
                let refusedAsImperfect = if case .failure(.imperfect) = opened { true } else { false }
                #expect(refusedAsImperfect && reference == nil, "\(name) \(orientation): refused (\(opened)), jpegtran -perfect: \(reference?.count ?? 0) bytes")
                continue
            }
            let expected = try #require(reference, "\(name) \(orientation): jpegtran -perfect refuses, the transcoder did not")
            #expect(try transcoder.write(tableScale: nil) == expected, "\(name) orientation \(orientation)")
            // Crops of the turned image, corner on the MCU grid.
            for crop in [PixelRect(x: 16, y: 32, width: 300, height: 401), PixelRect(x: 0, y: 0, width: 123, height: 77)] {
                let arg = "\(crop.width)x\(crop.height)+\(crop.x)+\(crop.y)"
                let cropped = try #require(try Self.jpegtran(["-perfect"] + Self.transforms[orientation]! + ["-crop", arg, "-optimize", "-copy", "none"], path))
                #expect(try transcoder.write(tableScale: nil, crop: crop) == cropped, "\(name) orientation \(orientation) crop \(arg)")
            }
        }
    }

    @Test("requantising: smaller with a coarser table, close to the original, never larger than keeping the tables; the row sample estimates the size")
    func requantise() throws {
        let path = fixturesRoot + "/eval/good-wide.jpg"
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let t = try JPEGTranscoder(.memory(data))
        let kept = try t.write(tableScale: nil)
        var last = kept.count
        for quality in [95, 90, 80, 70, 50] {
            let scale = JPEGTranscoder.tableScale(quality: quality)
            let out = try t.write(tableScale: scale)
            #expect(out.count <= last, "quality \(quality): \(out.count) > \(last)")
            last = out.count
            let a = try JPEGCodec.decode(data).raster, b = try JPEGCodec.decode(out).raster
            #expect(meanDifference(a, b) < (quality >= 80 ? 2.0 : 4.0), "quality \(quality): mean difference \(meanDifference(a, b))")
            // Every fourth row of MCUs, times four, is within a few per cent of the whole.
            let sample = try t.write(tableScale: scale, sampleStep: 4).count * 4
            #expect(abs(Double(sample) / Double(out.count) - 1) < 0.05, "quality \(quality): sample \(sample) vs \(out.count)")
        }
        // A table finer than the file's own keeps the file's (no bytes spent on nothing).
        #expect(try t.write(tableScale: 1) == kept)
        // Segments are written as given; the JFIF marker is libjpeg's own.
        let comment = JPEGSegment(marker: 0xFE, payload: Array("kept".utf8))
        let withComment = try t.write(tableScale: nil, segments: [comment])
        #expect(Probe.header(of: withComment).hasComment && withComment.count == kept.count + 8)
    }

    @Test("QuantTables.standard matches libjpeg's tables for a quality, and zigzag ranks are the standard's order")
    func standardTables() throws {
        let grey = Raster(width: 16, height: 16, channels: 3, pixels: [UInt8](repeating: 128, count: 16 * 16 * 3))
        for quality in [50, 75, 90, 95, 30] {
            var o = JPEGCodec.EncodeOptions()
            o.quality = quality
            let jpeg = try JPEGCodec.encode(grey, options: o)
            // The DQT segments libjpeg wrote: 8-bit tables in zigzag order.
            var tables: [Int: [UInt16]] = [:]
            var at = 2
            while at + 4 < jpeg.count, jpeg[at] == 0xFF, jpeg[at + 1] != 0xDA {
                let length = Int(jpeg[at + 2]) << 8 | Int(jpeg[at + 3])
                if jpeg[at + 1] == 0xDB {
                    var p = at + 4
                    while p < at + 2 + length {
                        let slot = Int(jpeg[p] & 0x0F)
                        let zigzag = jpeg[(p + 1)..<(p + 65)].map(UInt16.init)
                        tables[slot] = (0..<64).map { zigzag[QuantTables.zigzagRank[$0]] }
                        p += 65
                    }
                }
                at += 2 + length
            }
            let expected = QuantTables.standard(scale: JPEGTranscoder.tableScale(quality: quality))
            #expect(tables[0] == expected.luma && tables[1] == expected.chroma, "quality \(quality): \(tables) vs \(expected)")
        }
        #expect(Set(QuantTables.zigzagRank) == Set(0..<64) && QuantTables.zigzagRank[1] == 1 && QuantTables.zigzagRank[8] == 2
                && QuantTables.zigzagRank[16] == 3 && QuantTables.zigzagRank[63] == 63 && QuantTables.zigzagRank[56] == 35)
    }

    @Test("a crop off the MCU grid or outside the image is an error, not a crash")
    func badCrops() throws {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturesRoot + "/eval/good-centred.jpg")))
        let t = try JPEGTranscoder(.memory(data))
        #expect(throws: CodecError.self) { try t.write(tableScale: nil, crop: PixelRect(x: 3, y: 0, width: 100, height: 100)) }
        #expect(throws: CodecError.self) { try t.write(tableScale: nil, crop: PixelRect(x: 0, y: 0, width: 5000, height: 100)) }
        // Refused crops leak nothing: libjpeg's output buffer is freed on that path too. Found by
        // fuzzing; the seed Fixtures/fuzz/jpeg/regression-transcode-crop-outside-leak.jpg makes the
        // sanitizer build of scripts/fuzz.sh (CI's fuzz smoke run, LeakSanitizer) fail before the fix.
    }
}
