import Foundation
import Testing
@testable import PhotoCodec

/// The decoders that hold at most a row at a time (PNG) or read the file in pieces (JPEG) give
/// exactly the pixels and the verdicts of the decoders they replaced: libpng's simplified API,
/// and libjpeg reading the whole file from memory.
@Suite("Streaming decoders match their references")
struct StreamingDecodeTests {
    /// Every PNG fixture, and synthetic PNGs of each colour type, bit depth, tRNS and interlacing,
    /// some with odd sizes (Adam7 passes that are empty), one with a gAMA chunk.
    /// Each case is (name, PNG, the same samples without interlacing for an interlaced synthetic one).
    static func pngCases() throws -> [(String, [UInt8], [UInt8]?)] {
        var cases: [(String, [UInt8], [UInt8]?)] = []
        for name in ["good/interlaced-600x600.png", "good/palette-600x600.png", "good/rgb-640x640.png",
                     "good/rgba-opaque-600x600.png", "fixable/animated-apng.png", "fixable/sixteen-bit-600x600.png",
                     "fixable/transparent-600x600.png", "bad/truncated.png"] {
            cases.append((name, try bytes(name), nil))
        }
        var state: UInt32 = 99
        func next() -> UInt8 {
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        let shapes: [(PNGCodec.ColorType, [Int])] = [(.gray, [1, 2, 4, 8, 16]), (.rgb, [8, 16]), (.palette, [1, 2, 4, 8]),
                                                     (.grayAlpha, [8, 16]), (.rgba, [8, 16])]
        for (type, depths) in shapes {
            for depth in depths {
                for (w, h) in [(1, 1), (3, 5), (9, 7), (33, 17)] {
                    for interlaced in [false, true] {
                        var samples = PNGCodec.Samples(width: w, height: h, bitDepth: depth, colorType: type, data: [])
                        samples.data = (0..<(samples.rowBytes * h)).map { _ in next() }
                        samples.interlaced = interlaced
                        if type == .palette {
                            samples.palette = (0..<(3 << depth)).map { _ in next() }
                            if w == 9 { samples.transparency = [0, 128, 255] }
                        }
                        if type == .gray && depth == 8 && w == 9 { samples.transparency = [0, 17] }  // grey tRNS
                        if type == .rgb && depth == 16 && w == 9 { samples.transparency = [0, 1, 0, 2, 0, 3] }
                        let png = try PNGCodec.encode(samples: samples)
                        samples.interlaced = false
                        let twin = interlaced ? try PNGCodec.encode(samples: samples) : nil
                        cases.append(("\(type) \(depth)-bit \(w)×\(h)\(interlaced ? " Adam7" : "")", png, twin))
                    }
                }
            }
        }
        // A file gamma other than sRGB's, which libpng applies.
        let rgb = try bytes("good/rgb-640x640.png")
        cases.append(("gAMA 1.0", ContainerEditor.png(rgb, insertingChunk: "gAMA", data: [0, 1, 0x86, 0xA0]), nil))
        return cases
    }

    /// The outcome of a decode: pixels and warning, or the kind of failure.
    enum Outcome: Equatable {
        case decoded(Raster, warning: String?, alpha: Bool)
        case failed(CodecError.Kind)
    }

    static func reference(_ png: [UInt8]) -> Outcome {
        do {
            let d = try PNGCodec.referenceDecode(png)
            return .decoded(d.raster, warning: d.warning, alpha: d.alphaUsed)
        } catch {
            return .failed(error.kind)
        }
    }

    static func streaming(_ png: [UInt8]) -> Outcome {
        do {
            let d = try PNGCodec.decode(png)
            return .decoded(d.raster, warning: d.warning, alpha: d.alphaUsed)
        } catch {
            return .failed(error.kind)
        }
    }

    /// One exception: libpng 1.6.39's simplified API decodes 16-bit Adam7 images wrongly (its
    /// rows come out duplicated; pypng and the same samples written without interlacing agree with
    /// the streaming decoder). Every interlaced case is also checked against its non-interlaced twin.
    @Test("PNG: every colour type, depth, tRNS and interlacing, and every fixture: the same pixels as libpng's simplified API")
    func pngMatchesSimplifiedAPI() throws {
        let cases = try Self.pngCases()
        #expect(cases.count > 100)
        var simplifiedAPIWrong = 0
        for (name, png, twin) in cases {
            let streamed = Self.streaming(png)
            if let twin { #expect(streamed == Self.reference(twin), "\(name) against the same samples without interlacing") }
            if name.contains("16-bit") && name.hasSuffix("Adam7") {
                if streamed != Self.reference(png) { simplifiedAPIWrong += 1 }
                continue
            }
            #expect(streamed == Self.reference(png), "\(name)")
        }
        // Should libpng fix its simplified API, this count drops and the exception can go.
        #expect(simplifiedAPIWrong == 12)
    }

    @Test("PNG: truncated at every chunk boundary and damaged bytes give the same verdicts as the simplified API")
    func pngMutantsMatch() throws {
        var checked = 0
        for name in ["good/interlaced-600x600.png", "good/palette-600x600.png", "fixable/sixteen-bit-600x600.png",
                     "fixable/transparent-600x600.png"] {
            let png = try bytes(name)
            // Chunk boundaries, and a few bytes either side of each.
            var cuts: [Int] = []
            var at = 8
            while at + 8 <= png.count {
                let length = Int(png[at]) << 24 | Int(png[at + 1]) << 16 | Int(png[at + 2]) << 8 | Int(png[at + 3])
                cuts += [at, at + 4, at + 8, at + 8 + length / 2, at + 8 + length]
                at += 12 + length
            }
            for cut in Set(cuts) where cut > 0 && cut < png.count {
                let truncated = Array(png[..<cut])
                #expect(Self.streaming(truncated) == Self.reference(truncated), "\(name) cut at \(cut)")
                checked += 1
            }
            var state: UInt32 = 7
            for _ in 0..<40 {
                var damaged = png
                state = state &* 1_664_525 &+ 1_013_904_223
                let offset = 8 + Int(state >> 8) % (png.count - 8)
                damaged[offset] ^= UInt8(truncatingIfNeeded: state) | 1
                #expect(Self.streaming(damaged) == Self.reference(damaged), "\(name) byte \(offset) changed")
                checked += 1
            }
        }
        #expect(checked > 150)
    }

    /// The rounded mean of each factor × factor block of `r` (partial blocks at the edges).
    static func boxShrink(_ r: Raster, _ f: Int) -> Raster {
        let w = (r.width + f - 1) / f, h = (r.height + f - 1) / f, c = r.channels
        var out = [UInt8](repeating: 0, count: w * h * c)
        for oy in 0..<h {
            for ox in 0..<w {
                let bw = min(f, r.width - ox * f), bh = min(f, r.height - oy * f)
                for k in 0..<c {
                    var sum = 0
                    for y in (oy * f)..<(oy * f + bh) { for x in (ox * f)..<(ox * f + bw) { sum += Int(r.pixels[(y * r.width + x) * c + k]) } }
                    let n = bw * bh
                    out[(oy * w + ox) * c + k] = UInt8((sum + n / 2) / n)
                }
            }
        }
        return Raster(width: w, height: h, channels: c, pixels: out)
    }

    @Test("PNG: a shrunk or cut decode is the block means or the rectangle of the whole one",
          arguments: ["good/interlaced-600x600.png", "good/rgb-640x640.png", "fixable/transparent-600x600.png"])
    func pngShrinkAndRegion(_ name: String) throws {
        let png = try bytes(name)
        let whole = try PNGCodec.referenceDecode(png).raster
        for f in [2, 3, 8] {
            #expect(try PNGCodec.decode(.memory(png), factor: f).raster == Self.boxShrink(whole, f), "\(name) factor \(f)")
        }
        for r in [PixelRect(x: 37, y: 21, width: 61, height: 45), PixelRect(x: 0, y: 599, width: 600, height: 1),
                  PixelRect(x: 500, y: 3, width: 200, height: 700)] {
            let region = try PNGCodec.decode(.memory(png), region: r).raster
            let x1 = min(whole.width, r.x + r.width), y1 = min(whole.height, r.y + r.height)
            #expect(region == whole.region(x: r.x, y: r.y, width: x1 - r.x, height: y1 - r.y, fill: [UInt8](repeating: 0, count: whole.channels)), "\(name) \(r)")
        }
        // A block-aligned rectangle, shrunk: the same as those blocks of the whole shrunk image.
        let shrunk = try PNGCodec.decode(.memory(png), region: PixelRect(x: 64, y: 32, width: 128, height: 96), factor: 8).raster
        #expect(shrunk == Self.boxShrink(whole, 8).region(x: 8, y: 4, width: 16, height: 12, fill: [UInt8](repeating: 0, count: whole.channels)))
    }

    @Test("PNG and JPEG read from an open file decode as from memory")
    func fileSources() throws {
        for name in ["good/interlaced-600x600.png", "fixable/sixteen-bit-600x600.png", "bad/truncated.png"] {
            let file = try FileByteSource(path: fixture(name))
            let memory = try bytes(name)
            let fromFile = Result { () throws(CodecError) in try PNGCodec.decode(.file(file)).raster }
            let fromMemory = Result { () throws(CodecError) in try PNGCodec.decode(memory).raster }
            #expect(fromFile.map(\.pixels) == fromMemory.map(\.pixels), "\(name)")
        }
        for name in ["good/baseline-600x800.jpg", "good/progressive-640x640.jpg", "fixable/cmyk-adobe-600x600.jpg",
                     "bad/truncated.jpg", "bad/corrupt-data.jpg"] {
            let file = try FileByteSource(path: fixture(name))
            for scale in [1, 8] {
                let a = try JPEGCodec.decode(.file(file), scale: scale, strictHuffman: true)
                let b = try JPEGCodec.decode(try bytes(name), scale: scale)
                #expect(a.raster == b.raster && a.truncated == b.truncated && a.damaged == b.damaged, "\(name) 1/\(scale)")
            }
        }
    }

    @Test("JPEG: feeding libjpeg in small pieces changes no pixel of an intact file",
          arguments: ["good/baseline-600x800.jpg", "good/progressive-640x640.jpg", "good/greyscale-600x600.jpg",
                      "fixable/arithmetic-600x600.jpg", "fixable/ycck-adobe-600x600.jpg", "fixable/exif-rotated-6.jpg"])
    func strictHuffmanSamePixels(_ name: String) throws {
        let jpeg = try bytes(name)
        for scale in [1, 2, 8] {
            let fast = try JPEGCodec.decode(.memory(jpeg), scale: scale)
            let strict = try JPEGCodec.decode(.memory(jpeg), scale: scale, strictHuffman: true)
            #expect(fast.raster == strict.raster && strict.warningCount == 0, "\(name) 1/\(scale)")
        }
    }

    /// Two bytes of a baseline JPEG changed so that a Huffman code is invalid: djpeg (a stdio
    /// source) says "Corrupt JPEG data: bad Huffman code"; a whole-file memory source takes
    /// libjpeg-turbo's fast path, which decodes the bad code as 0 without a warning.
    @Test("JPEG: a bad Huffman code is reported only when the data is fed in small pieces")
    func badHuffmanCode() throws {
        var jpeg = try bytes("good/baseline-600x800.jpg")
        jpeg[1415] = 0x7F
        jpeg[1956] = 0x53
        let fast = try JPEGCodec.decode(.memory(jpeg), scale: 8)
        #expect(!fast.damaged && fast.warningCount == 0)
        for scale in [1, 8] {
            let strict = try JPEGCodec.decode(.memory(jpeg), scale: scale, strictHuffman: true)
            #expect(strict.damaged && strict.firstWarning?.contains("bad Huffman code") == true, "1/\(scale): \(strict.firstWarning ?? "-")")
        }
    }

    @Test("JPEG: a progressive file whose coefficients would not fit the working-memory limit is refused before decoding")
    func progressiveOverMemory() throws {
        var options = JPEGCodec.EncodeOptions()
        options.progressive = true
        var jpeg = try JPEGCodec.encode(Raster(width: 16, height: 16, fill: [90, 120, 150]), options: options)
        // Claim 14142×14142 in the frame header (SOF2): 600 MB of coefficients (4:2:0).
        let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC2 })
        jpeg[sof + 5] = UInt8(14142 >> 8); jpeg[sof + 6] = UInt8(14142 & 0xFF)
        jpeg[sof + 7] = UInt8(14142 >> 8); jpeg[sof + 8] = UInt8(14142 & 0xFF)
        let info = try JPEGCodec.inspect(.memory(jpeg), scale: 8)
        #expect(info.multipleScans && info.workingBytes > 590_000_000, "\(info.workingBytes)")
        do {
            _ = try JPEGCodec.decode(.memory(jpeg), scale: 8, maxWorkingBytes: 192 << 20)
            Issue.record("decoded")
        } catch {
            #expect(error.kind == .overMemoryLimit, "\(error)")
            #expect(error.message.contains("progressive") && error.message.contains("192 MiB"), "\(error.message)")
        }
    }

    @Test("the memory budget admits in order, never above its limit, and refuses nothing it can hold")
    func memoryBudget() async {
        let budget = MemoryBudget(limit: 100)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                group.addTask { () -> Void in
                    budget.withReservation([10, 60, 100, 1][i % 4]) { () -> Void in usleep(200) }
                }
            }
        }
        #expect(budget.highWater <= 100)
        #expect(budget.highWater >= 60)
        #expect(budget.fits(100) && !budget.fits(101))
    }
}
