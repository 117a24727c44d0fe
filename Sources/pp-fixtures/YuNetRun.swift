#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FaceNet
import PhotoCodec

/// The raster YuNet's reference values are recorded on: the photo decoded upright and resampled
/// so its long side is `longSide` (scripts/yunet-reference.py feeds the same pixels to OpenCV).
func yuNetInput(_ path: String, longSide: Int) throws -> Raster {
    let bytes = try FileByteSource(path: path).readAll()
    let header = Probe.header(of: bytes)
    let decoded = try PhotoDecoder.decode(bytes, header: header, minimumLongSide: longSide, maxPixels: 0)
    return decoded.raster.rgb().scaled(toLongSide: longSide)
}

func stringOption(_ name: String) -> String? {
    guard let i = rest.firstIndex(of: name), i + 1 < rest.count else { return nil }
    return rest[i + 1]
}

/// `pp-fixtures yunet MODEL.onnx IMAGE`: YuNet's faces as JSON rows of 15 numbers (box x, y, w,
/// h, five landmarks, score), as OpenCV's FaceDetectorYN returns them; `--dump OUT.png` writes
/// the input raster; `--repeat N` times N runs (after one warm-up).
func runYuNet(modelPath: String, imagePath: String, longSide: Int, dump: String?, threshold: Float, repeats: Int) {
    do {
        let net = try YuNet(file: modelPath)
        let raster = try yuNetInput(imagePath, longSide: longSide)
        if let dump { write(try PNGCodec.encode(raster), dump) }
        func run() throws -> [DetectedFace] {
            try raster.pixels.withUnsafeBufferPointer {
                try net.detect(pixels: $0, width: raster.width, height: raster.height, channels: raster.channels, scoreThreshold: threshold)
            }
        }
        var faces = try run()
        if repeats > 1 {
            var ts = timespec(), te = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            for _ in 0..<repeats { faces = try run() }
            clock_gettime(CLOCK_MONOTONIC, &te)
            let ms = (Double(te.tv_sec - ts.tv_sec) * 1e3 + Double(te.tv_nsec - ts.tv_nsec) / 1e6) / Double(repeats)
            printError("\(raster.width)×\(raster.height): \(ms) ms per run")
        }
        let rows = faces.map { f in
            ([f.x, f.y, f.width, f.height] + f.landmarks.flatMap { [$0.x, $0.y] } + [f.score]).map { String($0) }.joined(separator: ", ")
        }
        print("{\"width\": \(raster.width), \"height\": \(raster.height), \"faces\": [" + rows.map { "[\($0)]" }.joined(separator: ", ") + "]}")
    } catch {
        printError("yunet: \(error)")
        exit(1)
    }
}

func printError(_ text: String) {
    let line = text + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}
