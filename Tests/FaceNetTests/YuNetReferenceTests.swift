@testable import FaceNet
import Foundation
import PhotoCodec
import Testing

let fixturesRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("Fixtures").path
}()

/// Our YuNet runtime against OpenCV's cv2.FaceDetectorYN on the same pixels: the values
/// scripts/yunet-reference.py recorded into Fixtures/yunet-reference.json.
@Suite("YuNet against OpenCV")
struct YuNetReferenceTests {
    static let requireFetched = ProcessInfo.processInfo.environment["PREFLIGHT_REQUIRE_FETCHED"] == "1"

    static func model() throws -> YuNet {
        do {
            return try ModelStore.loadYuNet()
        } catch {
            Issue.record("\(error) — scripts/install-deps.sh fetches it")
            throw error
        }
    }

    /// The detector's input: decoded upright, long side 640 (as `pp-fixtures yunet --dump`).
    static func input(_ path: String) throws -> Raster {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let decoded = try PhotoDecoder.decode(bytes, header: Probe.header(of: bytes), minimumLongSide: 640, maxPixels: 0)
        return decoded.raster.rgb().scaled(toLongSide: 640)
    }

    @Test("boxes and landmarks within half a pixel, scores within 0.001, on every recorded photo")
    func matchesOpenCV() throws {
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixturesRoot + "/yunet-reference.json"))) as! [String: Any]
        let images = reference["images"] as! [String: [String: Any]]
        let net = try Self.model()
        var checked = 0, faces = 0
        for (name, expected) in images.sorted(by: { $0.key < $1.key }) {
            let path = fixturesRoot + "/" + name
            guard FileManager.default.fileExists(atPath: path) else {
                if Self.requireFetched { Issue.record("\(name) is missing: scripts/fetch-photos.sh fetches it") }
                continue
            }
            let raster = try Self.input(path)
            #expect(raster.width == expected["width"] as! Int && raster.height == expected["height"] as! Int, "\(name)")
            let found = try raster.pixels.withUnsafeBufferPointer {
                try net.detect(pixels: $0, width: raster.width, height: raster.height, channels: raster.channels, scoreThreshold: 0.5)
            }
            let rows = expected["faces"] as! [[Double]]
            #expect(found.count == rows.count, "\(name): \(found.count) faces, OpenCV \(rows.count)")
            for (f, row) in zip(found, rows) {
                let ours = [f.x, f.y, f.width, f.height] + f.landmarks.flatMap { [$0.x, $0.y] }
                for (k, (a, b)) in zip(ours, row.prefix(14)).enumerated() {
                    #expect(abs(Double(a) - b) <= 0.5, "\(name): value \(k) is \(a), OpenCV \(b)")
                }
                #expect(abs(Double(f.score) - row[14]) <= 1e-3, "\(name): score \(f.score), OpenCV \(row[14])")
                faces += 1
            }
            checked += 1
        }
        #expect(checked >= 17 && faces >= 16, "\(checked) photos, \(faces) faces checked")
    }

    @Test("one workspace serves every size: a run after a larger one finds exactly what a first run found")
    func workspaceReuse() throws {
        let net = try Self.model()
        let small = try Self.input(fixturesRoot + "/eval/two-faces.jpg").scaled(toLongSide: 320)
        let large = try Self.input(fixturesRoot + "/eval/good-wide.jpg")
        func run(_ r: Raster) throws -> [DetectedFace] {
            try r.pixels.withUnsafeBufferPointer { try net.detect(pixels: $0, width: r.width, height: r.height, channels: r.channels) }
        }
        let first = try run(small)
        #expect(first.count == 2)
        _ = try run(large)
        #expect(try run(small) == first)
        #expect(try YuNet(model: ONNXModel(bytes: Data(contentsOf: URL(fileURLWithPath: try ModelStore.locate(YuNet.modelFileName, explicit: nil))).map { $0 }))
            .detectForTest(small) == first)
    }

    @Test("the baseline (SSE2) and AVX2 kernel builds find the same faces (to 1e-3 px: AVX2 fuses multiply-adds)")
    func kernelBuildsAgree() throws {
        guard KernelTable.haswellCPU else { return }  // the AVX2 build cannot run on this CPU
        let net = try Self.model()
        for name in ["eval/two-faces.jpg", "eval/rotated-25.jpg", "eval/close-up.jpg"] {
            let r = try Self.input(fixturesRoot + "/" + name)
            let faces = try [KernelTable.baseline, KernelTable.avx2].map { k in
                try r.pixels.withUnsafeBufferPointer {
                    try net.detect(pixels: $0, width: r.width, height: r.height, channels: r.channels, scoreThreshold: 0.5,
                                   nmsThreshold: 0.3, topK: 5000, kernels: k)
                }
            }
            #expect(faces[0].count == faces[1].count && !faces[0].isEmpty, "\(name)")
            for (a, b) in zip(faces[0], faces[1]) {
                let va = [a.x, a.y, a.width, a.height, a.score] + a.landmarks.flatMap { [$0.x, $0.y] }
                let vb = [b.x, b.y, b.width, b.height, b.score] + b.landmarks.flatMap { [$0.x, $0.y] }
                #expect(zip(va, vb).allSatisfy { abs($0 - $1) <= 1e-3 }, "\(name): \(va) vs \(vb)")
            }
        }
    }

    @Test("a model that is not YuNet, or not ONNX, is an error naming the problem")
    func wrongModels() throws {
        #expect(throws: ModelError.self) { try YuNet(model: ONNXModel(bytes: [0x3A, 0x00])) }
        let missing = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("no-models-\(UUID())").path
        do {
            _ = try ModelStore.loadYuNet(explicit: missing)
            Issue.record("a missing model loaded")
        } catch {
            #expect(error.message.contains(YuNet.modelFileName) && error.message.contains("install-deps"), "\(error)")
        }
    }
}

extension YuNet {
    func detectForTest(_ r: Raster) throws -> [DetectedFace] {
        try r.pixels.withUnsafeBufferPointer { try detect(pixels: $0, width: r.width, height: r.height, channels: r.channels) }
    }
}
