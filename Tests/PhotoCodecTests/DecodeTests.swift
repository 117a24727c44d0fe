import Foundation
import Testing
@testable import PhotoCodec

@Suite("Decoding with libjpeg and libpng")
struct DecodeTests {
    @Test("orientation maps stored pixels to the displayed frame")
    func orientationKnownCases() {
        // Stored 2×1: A B. Orientation 6 (rotate 90° clockwise) shows A above B; 8 shows B above A.
        let stored = Raster(width: 2, height: 1, channels: 1, pixels: [10, 20])
        #expect(stored.oriented(.right) == Raster(width: 1, height: 2, channels: 1, pixels: [10, 20]))
        #expect(stored.oriented(.left) == Raster(width: 1, height: 2, channels: 1, pixels: [20, 10]))
        #expect(stored.oriented(.upMirrored).pixels == [20, 10])
        #expect(stored.oriented(.down).pixels == [20, 10])
        // Stored 2×2: A B / C D.
        let square = Raster(width: 2, height: 2, channels: 1, pixels: [1, 2, 3, 4])
        #expect(square.oriented(.right).pixels == [3, 1, 4, 2])
        #expect(square.oriented(.left).pixels == [2, 4, 1, 3])
        #expect(square.oriented(.leftMirrored).pixels == [1, 3, 2, 4])  // transpose
        #expect(square.oriented(.rightMirrored).pixels == [4, 2, 3, 1])  // transverse
        #expect(square.oriented(.downMirrored).pixels == [3, 4, 1, 2])
    }

    @Test("every EXIF orientation decodes upright", arguments: Orientation.allCases)
    func orientationThroughPNG(_ o: Orientation) throws {
        let upright = pattern(width: 5, height: 3)
        let stored = upright.oriented(o.inverse)
        let png = ContainerEditor.png(try PNGCodec.encode(stored), insertingChunk: "eXIf",
                                      data: ContainerEditor.exif(orientation: o.rawValue))
        let header = Probe.header(of: png)
        #expect(header.orientation == o)
        #expect(header.displayWidth == 5 && header.displayHeight == 3)
        let decoded = try PhotoDecoder.decode(png, header: header, minimumLongSide: .max, maxPixels: 0)
        let upright_ = decoded.raster == upright
        #expect(upright_)
    }

    @Test("JPEG variants decode to RGB or grey", arguments: [
        ("good/baseline-600x800.jpg", 600, 800, 3), ("good/progressive-640x640.jpg", 640, 640, 3),
        ("good/greyscale-600x600.jpg", 600, 600, 1), ("fixable/cmyk-adobe-600x600.jpg", 600, 600, 3),
        ("fixable/ycck-adobe-600x600.jpg", 600, 600, 3), ("fixable/arithmetic-600x600.jpg", 600, 600, 3),
    ])
    func jpegVariants(_ file: String, _ w: Int, _ h: Int, _ channels: Int) throws {
        let d = try JPEGCodec.decode(try bytes(file))
        #expect(d.raster.width == w && d.raster.height == h && d.raster.channels == channels)
        #expect(d.warningCount == 0 && !d.damaged && !d.truncated)
    }

    @Test("Adobe CMYK and YCCK come out in the right colours")
    func cmykColours() throws {
        let reference = try JPEGCodec.decode(try bytes("fixable/arithmetic-600x600.jpg")).raster
        for file in ["fixable/cmyk-adobe-600x600.jpg", "fixable/ycck-adobe-600x600.jpg"] {
            let rgb = try JPEGCodec.decode(try bytes(file)).raster
            // Both were made from the same synthetic portrait; inverted colours would differ by ~100.
            #expect(meanDifference(rgb, reference) < 6, "\(file)")
        }
    }

    @Test("DCT scaling gives 1/2, 1/4 and 1/8 sizes", arguments: [1, 2, 4, 8])
    func dctScale(_ scale: Int) throws {
        let d = try JPEGCodec.decode(try bytes("good/baseline-600x800.jpg"), scale: scale)
        #expect(d.raster.width == (600 + scale - 1) / scale)
        #expect(d.raster.height == (800 + scale - 1) / scale)
        #expect(PhotoDecoder.scale(forLongSide: 4032, minimumLongSide: 640) == 4)
        #expect(PhotoDecoder.scale(forLongSide: 4032, minimumLongSide: 1) == 8)
        #expect(PhotoDecoder.scale(forLongSide: 600, minimumLongSide: 640) == 1)
    }

    @Test("PNG variants decode to 8-bit, with the same pixels as their sources")
    func pngVariants() throws {
        let rgb = try PNGCodec.decode(try bytes("good/rgb-640x640.png")).raster
        #expect(rgb.channels == 3 && rgb.width == 640)
        let interlaced = try PNGCodec.decode(try bytes("good/interlaced-600x600.png")).raster
        let sixteen = try PNGCodec.decode(try bytes("fixable/sixteen-bit-600x600.png")).raster
        // The 16-bit file holds v × 257 of the interlaced file's 8-bit values.
        let same = sixteen == interlaced
        #expect(same)
        let palette = try PNGCodec.decode(try bytes("good/palette-600x600.png")).raster
        #expect(palette.channels == 3)
        #expect(Array(palette[9, 0]) == [1, 3, 254])  // index 1 at x 8..15 of row 0
        let transparent = try PNGCodec.decode(try bytes("fixable/transparent-600x600.png")).raster
        #expect(transparent.channels == 4 && transparent.usesAlpha)
        #expect(!(try PNGCodec.decode(try bytes("good/rgba-opaque-600x600.png")).raster.usesAlpha))
        let grey = try PNGCodec.decode(try PNGCodec.encode(Raster(width: 3, height: 1, channels: 1, pixels: [0, 128, 255]))).raster
        #expect(grey.pixels == [0, 128, 255])
    }

    @Test("a truncated JPEG is reported as truncated, not silently grey")
    func truncatedJPEG() throws {
        let d = try JPEGCodec.decode(try bytes("bad/truncated.jpg"))
        #expect(d.truncated && d.damaged)
        #expect(d.firstWarning == "Premature end of JPEG file")
    }

    @Test("corrupt entropy data is damage")
    func corruptJPEG() throws {
        let d = try JPEGCodec.decode(try bytes("bad/corrupt-data.jpg"))
        #expect(d.damaged && !d.truncated)
    }

    @Test("a truncated PNG throws .truncated")
    func truncatedPNG() throws {
        let data = try bytes("bad/truncated.png")
        do {
            _ = try PNGCodec.decode(data)
            Issue.record("decoded a truncated PNG")
        } catch {
            #expect(error.kind == .truncated)
        }
    }

    @Test("bombs are refused from the header, before any pixel memory")
    func bombs() throws {
        for file in ["bad/bomb-30000x30000.png", "bad/bomb-60000x60000.jpg"] {
            let data = try bytes(file)
            let header = Probe.header(of: data)
            let start = ContinuousClock.now
            do {
                _ = try PhotoDecoder.decode(data, header: header, minimumLongSide: 1, maxPixels: 200_000_000)
                Issue.record("\(file) decoded")
            } catch {
                #expect(error.kind == .tooLarge)
            }
            // Also the C layers' own checks, without the header pre-check.
            if header.format == .png {
                #expect(throws: CodecError(.tooLarge, "30000 x 30000 pixels")) { try PNGCodec.decode(data, maxPixels: 200_000_000) }
            } else {
                #expect(throws: CodecError.self) { try JPEGCodec.decode(data, scale: 1, maxPixels: 200_000_000) }
            }
            #expect(ContinuousClock.now - start < .seconds(5))  // generous: refusal is milliseconds
        }
    }

    @Test("garbage after a JPEG signature throws, never crashes", arguments: [3, 50, 500, 5000])
    func garbage(_ n: Int) {
        var rng = SystemRandomNumberGenerator()
        let data: [UInt8] = [0xFF, 0xD8, 0xFF] + (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
        #expect(throws: CodecError.self) { try JPEGCodec.decode(data) }
        #expect(throws: CodecError.self) { try PNGCodec.decode([0x89] + data) }
    }

    @Test("encode then decode round-trips closely")
    func roundTrip() throws {
        let r = pattern(width: 16, height: 16)
        var o = JPEGCodec.EncodeOptions()
        o.quality = 95
        o.chroma420 = false
        let back = try JPEGCodec.decode(try JPEGCodec.encode(r, options: o)).raster
        #expect(meanDifference(back, r) < 3)
        let lossless = try PNGCodec.decode(try PNGCodec.encode(r)).raster == r
        #expect(lossless)
    }

    /// A busy RGB picture (so chroma upsampling has something to smear), `width`×`height`.
    static func busy(width: Int, height: Int) -> Raster {
        var p: [UInt8] = []
        p.reserveCapacity(width * height * 3)
        var state: UInt32 = 12345
        for y in 0..<height {
            for x in 0..<width {
                state = state &* 1_664_525 &+ 1_013_904_223
                p += [UInt8(truncatingIfNeeded: x * 5 + Int(state >> 28)), UInt8(truncatingIfNeeded: y * 3 + x), UInt8(truncatingIfNeeded: state >> 24)]
            }
        }
        return Raster(width: width, height: height, channels: 3, pixels: p)
    }

    @Test("a region decode equals that rectangle of a whole decode, in every orientation",
          arguments: Orientation.allCases, [false, true])
    func regionDecode(_ o: Orientation, progressive: Bool) throws {
        var options = JPEGCodec.EncodeOptions()
        options.progressive = progressive
        // 203×157: neither side a multiple of the 16-pixel MCU.
        let stored = try JPEGCodec.encode(Self.busy(width: 203, height: 157), options: options)
        let file = ContainerEditor.jpeg(stored, insertingExif: ContainerEditor.exif(orientation: o.rawValue))
        let header = Probe.header(of: file)
        #expect(header.orientation == o)
        let whole = try PhotoDecoder.decode(file, header: header, minimumLongSide: .max, maxPixels: 0).raster
        let (dw, dh) = (whole.width, whole.height)
        let rects = [PixelRect(x: 0, y: 0, width: dw, height: dh), PixelRect(x: 37, y: 21, width: 61, height: 45),
                     PixelRect(x: 0, y: 0, width: 17, height: 9), PixelRect(x: dw - 30, y: dh - 33, width: 30, height: 33),
                     PixelRect(x: 1, y: dh / 2, width: dw - 2, height: 1), PixelRect(x: 50, y: 3, width: 1, height: dh - 4)]
        for r in rects {
            let region = try PhotoDecoder.decode(file, header: header, region: r, maxPixels: 0).raster
            let expected = whole.region(x: r.x, y: r.y, width: r.width, height: r.height, fill: [0, 0, 0])
            #expect(region == expected, "orientation \(o.rawValue), \(r)")
        }
        // A rectangle reaching beyond the photo is clamped to it.
        let clamped = try PhotoDecoder.decode(file, header: header, region: PixelRect(x: -5, y: -5, width: 20, height: 20), maxPixels: 0).raster
        #expect(clamped.width == 15 && clamped.height == 15)
        #expect(throws: CodecError.self) {
            try PhotoDecoder.decode(file, header: header, region: PixelRect(x: dw + 1, y: 0, width: 5, height: 5), maxPixels: 0)
        }
    }

    @Test("region decodes of grey and CMYK JPEGs match whole decodes", arguments: ["good/greyscale-600x600.jpg", "fixable/cmyk-adobe-600x600.jpg"])
    func regionDecodeOtherSpaces(_ name: String) throws {
        let file = try bytes(name)
        let header = Probe.header(of: file)
        let whole = try PhotoDecoder.decode(file, header: header, minimumLongSide: .max, maxPixels: 0).raster
        let r = PixelRect(x: 123, y: 77, width: 301, height: 250)
        let region = try PhotoDecoder.decode(file, header: header, region: r, maxPixels: 0).raster
        #expect(region == whole.region(x: r.x, y: r.y, width: r.width, height: r.height, fill: [UInt8](repeating: 0, count: whole.channels)))
    }

    @Test("the fast orientation transform matches the per-pixel definition", arguments: Orientation.allCases)
    func orientedMatchesDefinition(_ o: Orientation) {
        for channels in [1, 3, 4] {
            let (w, h) = (7, 5)
            let r = Raster(width: w, height: h, channels: channels, pixels: (0..<(w * h * channels)).map { UInt8($0 % 251) })
            let turned = r.oriented(o)
            #expect(turned.width == (o.swapsDimensions ? h : w))
            var ok = true
            for y in 0..<turned.height {
                for x in 0..<turned.width {
                    let s = o.storedPoint(x: x, y: y, width: w, height: h)
                    if Array(turned[x, y]) != Array(r[s.x, s.y]) { ok = false }
                }
            }
            #expect(ok, "orientation \(o.rawValue), \(channels) channels")
        }
    }
}
