import Foundation
import Testing
@testable import PhotoCodec

@Suite("Header probe")
struct ProbeTests {
    struct Expected: Sendable, CustomStringConvertible {
        var file: String
        var format: ImageFormat
        var size: (Int, Int)?
        var model: ColorModel?
        var check: @Sendable (PhotoHeader) -> Bool = { _ in true }
        var description: String { file }
    }

    static let cases: [Expected] = [
        Expected(file: "good/baseline-600x800.jpg", format: .jpeg, size: (600, 800), model: .ycbcr) { !$0.progressive && $0.jpegFrameMarker == 0xC0 },
        Expected(file: "good/progressive-640x640.jpg", format: .jpeg, size: (640, 640), model: .ycbcr) { $0.progressive },
        Expected(file: "good/greyscale-600x600.jpg", format: .jpeg, size: (600, 600), model: .gray),
        Expected(file: "good/rgb-640x640.png", format: .png, size: (640, 640), model: .rgb) { $0.bitDepth == 8 && !$0.interlaced },
        Expected(file: "good/interlaced-600x600.png", format: .png, size: (600, 600), model: .rgb) { $0.interlaced },
        Expected(file: "good/palette-600x600.png", format: .png, size: (600, 600), model: .palette) { !$0.hasAlpha },
        Expected(file: "good/rgba-opaque-600x600.png", format: .png, size: (600, 600), model: .rgba) { $0.hasAlpha },
        Expected(file: "fixable/cmyk-adobe-600x600.jpg", format: .jpeg, size: (600, 600), model: .cmyk) { $0.adobeTransform == 0 },
        Expected(file: "fixable/ycck-adobe-600x600.jpg", format: .jpeg, size: (600, 600), model: .ycck) { $0.adobeTransform == 2 },
        Expected(file: "fixable/arithmetic-600x600.jpg", format: .jpeg, size: (600, 600), model: .ycbcr) { $0.isArithmeticCoded },
        Expected(file: "fixable/exif-rotated-6.jpg", format: .jpeg, size: (800, 600), model: .ycbcr) {
            $0.orientation == .right && $0.displayWidth == 600 && $0.displayHeight == 800 && $0.hasExif && !$0.hasGPS
        },
        Expected(file: "fixable/gps-location.jpg", format: .jpeg, size: (600, 800), model: .ycbcr) { $0.hasGPS && $0.hasCameraSerial },
        Expected(file: "fixable/png-named.jpg", format: .png, size: (640, 640), model: .rgb),
        Expected(file: "fixable/animated-apng.png", format: .png, size: (600, 600), model: .rgb) { $0.isAnimated && $0.frameCount == 3 },
        Expected(file: "fixable/sixteen-bit-600x600.png", format: .png, size: (600, 600), model: .rgb) { $0.bitDepth == 16 },
        Expected(file: "bad/bomb-30000x30000.png", format: .png, size: (30000, 30000), model: .gray) { $0.bitDepth == 1 && $0.pixelCount == 900_000_000 },
        Expected(file: "bad/bomb-60000x60000.jpg", format: .jpeg, size: (60000, 60000), model: .ycbcr),
        Expected(file: "bad/header-cut.jpg", format: .jpeg, size: nil, model: nil) { $0.problem?.contains("ends inside marker segment 0xE1") == true },
        Expected(file: "bad/webp-named.jpg", format: .webp, size: (1024, 1024), model: nil),
        Expected(file: "bad/iphone-heic-named.jpg", format: .heic, size: nil, model: nil),
        Expected(file: "bad/saved-error-page.jpg", format: .html, size: nil, model: nil),
        Expected(file: "bad/empty.jpg", format: .empty, size: nil, model: nil),
        Expected(file: "bad/random-bytes.jpg", format: .unknown, size: nil, model: nil),
        Expected(file: "bad/tiny.gif", format: .gif, size: (1, 1), model: nil),
    ]

    @Test("probes each fixture's header", arguments: cases)
    func fixtureHeaders(_ e: Expected) throws {
        let h = try Probe.header(ofFileAt: fixture(e.file))
        #expect(h.format == e.format)
        #expect(h.width == e.size?.0)
        #expect(h.height == e.size?.1)
        #expect(h.colorModel == e.model)
        #expect(e.check(h), "header: \(h)")
        #expect(h.byteCount == (try FileManager.default.attributesOfItem(atPath: fixture(e.file))[.size] as? Int))
    }

    @Test("reads only the first window of a large file")
    func probeCost() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("probe-cost-\(UUID()).jpg").path
        var big = try bytes("good/baseline-600x800.jpg")
        big += [UInt8](repeating: 0, count: 5_000_000)  // trailing data after EOI
        try Data(big).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var source = try FileByteSource(path: path)
        let h = try Probe.header(of: &source)
        #expect(h.width == 600)
        #expect(source.bytesRead <= 65_536)
    }

    @Test("sniffs formats by content, not name")
    func sniffing() {
        func sniff(_ b: [UInt8]) -> ImageFormat { ImageFormat.sniff(b[...], totalCount: b.count) }
        #expect(sniff(Array("%PDF-1.7\n".utf8)) == .pdf)
        #expect(sniff(Array("  \n<html><body>".utf8)) == .html)
        #expect(sniff(Array("<?xml version=\"1.0\"?><svg xmlns=".utf8)) == .svg)
        #expect(sniff(Array("just some notes\n".utf8)) == .text)
        #expect(sniff([0x42, 0x4D] + [UInt8](repeating: 0, count: 12) + [40, 0, 0, 0] + [UInt8](repeating: 0, count: 10)) == .bmp)
        #expect(sniff([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0]) == .tiff)
        #expect(sniff([0, 0, 0, 28] + Array("ftypavif".utf8) + [0, 0, 0, 0] + Array("avifmif1miaf".utf8)) == .avif)
        #expect(sniff([0xFF, 0x0A, 0xFA]) == .jpegXL)
        #expect(sniff(Array("8BPS".utf8) + [0, 1]) == .psd)
        #expect(sniff([]) == .empty)
        #expect(sniff([0x00, 0x01, 0x02, 0xFE]) == .unknown)
    }

    @Test("survives hostile EXIF: self-referencing and out-of-range offsets")
    func hostileExif() {
        // IFD0 with 0xFFFF entries claimed, a GPS pointer to IFD0 itself and one past the end.
        var tiff: [UInt8] = Array("MM".utf8) + [0, 42, 0, 0, 0, 8]
        tiff += [0, 3]
        tiff += [0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 8]  // GPS IFD = IFD0 (a loop)
        tiff += [0x87, 0x69, 0, 4, 0, 0, 0, 1, 0x7F, 0xFF, 0xFF, 0xFF]  // Exif IFD far past the end
        tiff += [0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 9, 0, 0]  // orientation 9: invalid
        let summary = ExifReader.read(tiff: tiff[...])
        #expect(summary.orientation == 9)
        #expect(!summary.hasGPS)
        let jpeg = ContainerEditor.jpeg(try! JPEGCodec.encode(pattern(width: 8, height: 8)), insertingExif: tiff)
        let h = Probe.header(of: jpeg)
        #expect(h.orientation == .up)
        #expect(h.invalidOrientationValue == 9)
        #expect(ExifReader.read(tiff: [0x4D, 0x4D, 0, 42, 0xFF, 0xFF, 0xFF, 0xFF][...]) == ExifSummary())
    }

    @Test("every truncation of a JPEG header is a finding, never a crash", arguments: [2, 3, 4, 10, 20, 30, 100, 160, 180, 200])
    func truncatedHeaders(length: Int) throws {
        let whole = ContainerEditor.jpeg(try bytes("good/baseline-600x800.jpg"), insertingExif: ContainerEditor.exif(orientation: 6, gps: true))
        let h = Probe.header(of: Array(whole.prefix(length)))
        #expect(h.format == (length >= 3 ? .jpeg : .unknown))
        if length >= 3 { #expect(h.problem != nil) }
    }

    @Test("PNG header problems are named")
    func pngProblems() throws {
        let png = try bytes("good/rgb-640x640.png")
        var zeroWidth = png
        zeroWidth[16...19] = [0, 0, 0, 0]
        #expect(Probe.header(of: zeroWidth).problem?.contains("invalid size") == true)
        var badType = png
        badType[25] = 5
        #expect(Probe.header(of: badType).problem?.contains("colour type 5") == true)
        #expect(Probe.header(of: Array(png.prefix(20))).problem?.contains("IHDR") == true)
    }

    @Test("EXIF in a PNG eXIf chunk sets the orientation")
    func pngExif() throws {
        let png = ContainerEditor.png(try bytes("good/rgb-640x640.png"), insertingChunk: "eXIf", data: ContainerEditor.exif(orientation: 8))
        let h = Probe.header(of: png)
        #expect(h.orientation == .left)
        #expect(h.hasExif)
    }
}
