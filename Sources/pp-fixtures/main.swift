#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PhotoCodec
import PreflightKit
import FaceFinder
import FaceNet

/// pp-fixtures: writes the fixture photos (`pp-fixtures fixtures DIR`) or the benchmark corpus
/// (`pp-fixtures corpus DIR [--jpegs N] [--pngs N]`). Deterministic: the same bytes every run
/// with the same libjpeg/libpng.
func usage() -> Never {
    let text = """
        usage: pp-fixtures fixtures DIR | corpus DIR [--jpegs N] [--pngs N] | headshots DIR [--count N]
               | evalset ASTRONAUT.png DIR | hostile FIXTURES/photos DIR | fuzz-seeds DIR
               | realset FETCHED_DIR DIR | detect CASCADE.xml IMAGE [--neighbors N]
               | yunet MODEL.onnx IMAGE [--long-side N] [--dump OUT.png] [--threshold-percent P] [--repeat N]

        """
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

/// `mkdir -p` of the folder that holds `path`.
func makeParentFolders(_ path: String) {
    for slash in path.indices.dropFirst() where path[slash] == "/" {
        mkdir(String(path[..<slash]), 0o755)
    }
}

func write(_ bytes: [UInt8], _ path: String) {
    makeParentFolders(path)
    do {
        try AtomicFile.write(bytes, to: path)
    } catch {
        fatalError("cannot write \(path): \(error)")
    }
}

/// `i` as three digits: 7 → "007".
func threeDigits(_ i: Int) -> String {
    let s = String(i)
    return String(repeating: "0", count: max(0, 3 - s.count)) + s
}

func jpeg(_ r: Raster, quality: Int = 85, _ configure: (inout JPEGCodec.EncodeOptions) -> Void = { _ in }) -> [UInt8] {
    var o = JPEGCodec.EncodeOptions()
    o.quality = quality
    configure(&o)
    return try! JPEGCodec.encode(r, options: o)
}

func makeFixtures(_ dir: String) {
    let portrait = Synth.portrait(width: 600, height: 800, seed: 1)
    let square = Synth.portrait(width: 640, height: 640, seed: 2)
    let six = Synth.portrait(width: 600, height: 600, seed: 3)
    let good = dir + "/good/", fixable = dir + "/fixable/", bad = dir + "/bad/"

    // Photos that pass.
    write(jpeg(portrait), good + "baseline-600x800.jpg")
    write(jpeg(square) { $0.progressive = true }, good + "progressive-640x640.jpg")
    write(jpeg(Synth.grey(six)), good + "greyscale-600x600.jpg")
    write(try! PNGCodec.encode(square), good + "rgb-640x640.png")
    write(try! PNGCodec.encode(six, interlaced: true), good + "interlaced-600x600.png")
    let (palette, indices) = Synth.palette(width: 600, height: 600)
    var paletted = PNGCodec.Samples(width: 600, height: 600, bitDepth: 8, colorType: .palette, data: indices)
    paletted.palette = palette
    write(try! PNGCodec.encode(samples: paletted), good + "palette-600x600.png")
    write(try! PNGCodec.encode(Synth.rgba(six, transparentCorners: false)), good + "rgba-opaque-600x600.png")

    // Photos with problems `fix` can repair (errors: FIXABLE; warnings: WARN).
    write(jpeg(Synth.invertedCMYK(six)) { $0.fileColorSpace = .cmyk; $0.writeJFIF = false }, fixable + "cmyk-adobe-600x600.jpg")
    write(jpeg(Synth.invertedCMYK(six)) { $0.fileColorSpace = .ycck; $0.writeJFIF = false }, fixable + "ycck-adobe-600x600.jpg")
    write(jpeg(six) { $0.arithmetic = true }, fixable + "arithmetic-600x600.jpg")
    let sideways = Synth.portrait(width: 600, height: 800, seed: 4).oriented(.left)  // stored 800×600
    write(ContainerEditor.jpeg(jpeg(sideways), insertingExif: ContainerEditor.exif(orientation: 6)),
          fixable + "exif-rotated-6.jpg")
    write(ContainerEditor.jpeg(jpeg(portrait), insertingExif: ContainerEditor.exif(orientation: 1, gps: true, serialNumber: "SN12345")),
          fixable + "gps-location.jpg")
    write(try! PNGCodec.encode(square), fixable + "png-named.jpg")
    let apng = ContainerEditor.png(try! PNGCodec.encode(six), insertingChunk: "acTL", data: [0, 0, 0, 3, 0, 0, 0, 0])
    write(apng, fixable + "animated-apng.png")
    write(try! PNGCodec.encode(Synth.rgba(six, transparentCorners: true)), fixable + "transparent-600x600.png")
    write(try! PNGCodec.encode(samples: PNGCodec.Samples(width: 600, height: 600, bitDepth: 16, colorType: .rgb,
                                                         data: Synth.sixteenBit(six))), fixable + "sixteen-bit-600x600.png")

    // Photos that fail.
    write(jpeg(Synth.portrait(width: 400, height: 300, seed: 5)), bad + "too-small-400x300.jpg")
    let whole = jpeg(portrait)
    write(Array(whole.prefix(whole.count / 2)), bad + "truncated.jpg")
    let png = try! PNGCodec.encode(square)
    write(Array(png.prefix(png.count * 6 / 10)), bad + "truncated.png")
    var corrupt = whole
    var rng = SplitMix64(seed: 99)
    let middle = corrupt.count / 2
    for i in middle..<(middle + 400) {
        let b = rng.byte()
        corrupt[i] = b == 0xFF ? 0x7F : b
    }
    write(corrupt, bad + "corrupt-data.jpg")
    let withExif = ContainerEditor.jpeg(whole, insertingExif: ContainerEditor.exif(orientation: 1, gps: true))
    write(Array(withExif.prefix(60)), bad + "header-cut.jpg")
    var bomb = PNGCodec.Samples(width: 30000, height: 30000, bitDepth: 1, colorType: .gray, data: [UInt8](repeating: 0, count: 3750))
    bomb.repeatFirstRow = true
    write(try! PNGCodec.encode(samples: bomb, compressionLevel: 9), bad + "bomb-30000x30000.png")
    var jpegBomb = jpeg(Synth.portrait(width: 64, height: 64, seed: 6))
    if let sof = (0..<jpegBomb.count - 9).first(where: { jpegBomb[$0] == 0xFF && jpegBomb[$0 + 1] == 0xC0 }) {
        jpegBomb[sof + 5] = 0xEA; jpegBomb[sof + 6] = 0x60; jpegBomb[sof + 7] = 0xEA; jpegBomb[sof + 8] = 0x60
    }
    write(jpegBomb, bad + "bomb-60000x60000.jpg")
    // Other formats under photo names: headers as those formats begin.
    write(Array("RIFF".utf8) + [22, 0, 0, 0] + Array("WEBPVP8X".utf8) + [10, 0, 0, 0, 0, 0, 0, 0, 0xFF, 3, 0, 0xFF, 3, 0],
          bad + "webp-named.jpg")
    write([0, 0, 0, 24] + Array("ftypheic".utf8) + [0, 0, 0, 0] + Array("mif1heic".utf8), bad + "iphone-heic-named.jpg")
    write(Array("<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head><body>Access denied</body></html>\n".utf8),
          bad + "saved-error-page.jpg")
    write([], bad + "empty.jpg")
    write((0..<2048).map { _ in rng.byte() }, bad + "random-bytes.jpg")
    write([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x21, 0xF9, 4, 1, 0, 0, 0, 0,
           0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3B], bad + "tiny.gif")

    // Not photos: skipped when a folder is walked.
    write(Array("Photos for the avatar shoot. Originals are on the shared drive.\n".utf8), dir + "/notes.txt")
    write(jpeg(portrait), dir + "/.thumbnails/baseline-600x800.jpg")
}

func makeCorpus(_ dir: String, jpegs: Int, pngs: Int) async {
    await withTaskGroup(of: Void.self) { group in
        let width = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        var next = 0
        let total = jpegs + pngs
        func add(_ i: Int) {
            group.addTask {
                if i < jpegs {
                    // 4032×3024 like a 12 MP phone camera; noise varies so sizes spread over 3–6 MB.
                    let noise = 5.0 + Double(i % 7) * 0.9
                    var r = Synth.portrait(width: 4032, height: 3024, seed: UInt64(1000 + i), noise: noise)
                    let orientation = i % 2 == 0 ? 6 : 1
                    if orientation == 6 { r = r.oriented(.left) }
                    let bytes = ContainerEditor.jpeg(jpeg(r, quality: 92),
                                                     insertingExif: ContainerEditor.exif(orientation: orientation, gps: i % 3 == 0))
                    write(bytes, dir + "/phone-\(threeDigits(i)).jpg")
                } else {
                    let r = Synth.portrait(width: 1600, height: 1200, seed: UInt64(5000 + i), noise: 3)
                    write(try! PNGCodec.encode(r, compressionLevel: 3), dir + "/scan-\(threeDigits(i - jpegs)).png")
                }
            }
        }
        while next < min(width, total) { add(next); next += 1 }
        while await group.next() != nil {
            if next < total { add(next); next += 1 }
        }
    }
}

/// The committed astronaut portrait, decoded (the source of the synthetic headshots).
func astronaut(_ command: String) -> Raster {
    guard let bytes = try? FileByteSource(path: "Fixtures/sources/astronaut.png").readAll(),
          let decoded = try? PhotoDecoder.decode(bytes, header: Probe.header(of: bytes), minimumLongSide: .max, maxPixels: 0)
    else { fatalError("\(command): cannot read Fixtures/sources/astronaut.png (run from the repository root)") }
    return decoded.raster
}

/// Runs `make(i)` for i in 0..<count, as many at once as there are cores.
func inParallel(_ count: Int, _ make: @escaping @Sendable (Int) -> Void) async {
    await withTaskGroup(of: Void.self) { group in
        let width = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        var next = 0
        while next < min(width, count) { let i = next; group.addTask { make(i) }; next += 1 }
        while await group.next() != nil {
            if next < count { let i = next; group.addTask { make(i) }; next += 1 }
        }
    }
}

/// `pp-fixtures headshots DIR [--count N]`: phone-sized (4032×3024) JPEGs of the committed
/// astronaut portrait, for the face-analysis benchmark: the path real headshots take.
func makeHeadshots(_ dir: String, count: Int) async {
    let source = astronaut("headshots")
    await inParallel(count) { i in
        var r = Synth.headshot(source: source, width: 4032, height: 3024, seed: UInt64(7000 + i),
                               offset: Double(i % 5) / 4, noise: 4 + Double(i % 4))
        let orientation = i % 2 == 0 ? 6 : 1
        if orientation == 6 { r = r.oriented(.left) }
        let bytes = ContainerEditor.jpeg(jpeg(r, quality: 92), insertingExif: ContainerEditor.exif(orientation: orientation, gps: false))
        write(bytes, dir + "/headshot-\(threeDigits(i)).jpg")
    }
}

/// Phone photos over the 10 MB budget whose other findings are none (or the orientation tag or
/// GPS): 6000×8000 and 8064×6048 JPEGs at quality 95 with camera-like noise and EXIF, a quarter
/// stored sideways (orientation 6), a quarter with a GPS position. For `scripts/bench-fix.sh`.
func makeOversized(_ dir: String, count: Int) async {
    let source = astronaut("oversized")
    await inParallel(count) { i in
        let portrait = i % 2 == 0
        var r = Synth.headshot(source: source, width: portrait ? 6000 : 8064, height: portrait ? 8000 : 6048,
                               seed: UInt64(9000 + i), offset: portrait ? 0.26 : 0.68, noise: 6 + Double(i % 3), fill: portrait)
        let orientation = i % 4 == 2 ? 6 : 1
        if orientation == 6 { r = r.oriented(.left) }
        let exif = ContainerEditor.exif(orientation: orientation, gps: i % 4 == 3, serialNumber: "PP\(1000 + i)")
        let bytes = ContainerEditor.jpeg(jpeg(r, quality: 95), insertingExif: exif)
        write(bytes, dir + "/phone-\(threeDigits(i)).jpg")
    }
}

var args = Array(CommandLine.arguments.dropFirst())

guard args.count >= 2 else { usage() }
let command = args.removeFirst(), dir = args.removeFirst()
let rest = args
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = rest.firstIndex(of: name), i + 1 < rest.count, let n = Int(rest[i + 1]) else { return fallback }
    return n
}
/// `pp-fixtures detect CASCADE.xml IMAGE [--neighbors N]`: prints raw and grouped hits as
/// "x y w h" lines, for comparing with OpenCV (scripts/compare-opencv.py).
func detect(cascadePath: String, imagePath: String, neighbors: Int) {
    do {
        let cascade = try Cascade(xml: try FileByteSource(path: cascadePath).readAll(), source: cascadePath)
        let bytes = try FileByteSource(path: imagePath).readAll()
        let header = Probe.header(of: bytes)
        let decoded = try PhotoDecoder.decode(bytes, header: header, minimumLongSide: Int.max, maxPixels: 0)
        let r = decoded.raster
        let gray = GrayImage(width: r.width, height: r.height, channels: r.channels, interleaved: r.pixels)
        var raw: [Box] = []
        var ts = timespec(), te = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        for _ in 0..<20 { raw = cascade.detectRaw(in: gray) }
        clock_gettime(CLOCK_MONOTONIC, &te)
        let ms = (Double(te.tv_sec - ts.tv_sec) * 1e3 + Double(te.tv_nsec - ts.tv_nsec) / 1e6) / 20
        print("raw \(raw.count) in \(Double(Int(ms * 10)) / 10) ms per run (\(gray.width)×\(gray.height))")
        for d in Grouping.group(raw, minNeighbors: neighbors, eps: 0.2) {
            print("\(d.box.x) \(d.box.y) \(d.box.width) \(d.box.height) \(d.neighbors)")
        }
    } catch {
        print("error: \(error)")
        exit(1)
    }
}

switch command {
case "detect": detect(cascadePath: dir, imagePath: rest.first ?? "", neighbors: option("--neighbors", 3))
case "yunet": runYuNet(modelPath: dir, imagePath: rest.first ?? "", longSide: option("--long-side", 640), dump: stringOption("--dump"),
                       threshold: Float(option("--threshold-percent", 50)) / 100, repeats: option("--repeat", 1))
case "evalset": makeEvalSet(source: dir, dir: rest.first ?? "Fixtures/eval")
case "realset": makeRealSet(sourceDir: dir, dir: rest.first ?? "Fixtures/fetched/real")
case "fixtures": makeFixtures(dir)
case "fuzz-seeds":
    print("\(FuzzSeeds.make(dir)) seed files in \(dir)")
case "hostile":
    // pp-fixtures hostile FIXTURES_PHOTOS DIR
    let made = Hostile.make(fixtures: dir, to: rest.first ?? "hostile")
    print("\(made) hostile files in \(rest.first ?? "hostile")")
case "corpus": await makeCorpus(dir, jpegs: option("--jpegs", 200), pngs: option("--pngs", 50))
case "headshots": await makeHeadshots(dir, count: option("--count", 100))
case "oversized": await makeOversized(dir, count: option("--count", 20))
case "transcode":
    // pp-fixtures transcode IN OUT [--orientation N] [--quality Q]: the lossless rewriter alone
    // (for comparing with jpegtran -perfect -copy none -optimize).
    do {
        let q = option("--quality", 0)
        let t = try JPEGTranscoder(.memory(try FileByteSource(path: dir).readAll()), orientation: option("--orientation", 1))
        var out: [UInt8] = []
        for _ in 0..<option("--repeat", 1) {
            var ts = timespec(), te = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            let crop = option("--crop-w", 0) > 0
                ? PixelRect(x: option("--crop-x", 0), y: option("--crop-y", 0), width: option("--crop-w", 0), height: option("--crop-h", 0)) : nil
            let scale = option("--scale", 0) > 0 ? option("--scale", 0) : q == 0 ? nil : JPEGTranscoder.tableScale(quality: q)
            out = try t.write(tableScale: scale, crop: crop, sampleStep: option("--step", 1))
            clock_gettime(CLOCK_MONOTONIC, &te)
            if option("--repeat", 1) > 1 { print("write \(Double(te.tv_sec - ts.tv_sec) + Double(te.tv_nsec - ts.tv_nsec) / 1e9) s") }
        }
        try AtomicFile.write(out, to: rest.first ?? "out.jpg")
    } catch {
        print("error: \(error)")
        exit(1)
    }
default: usage()
}
