#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// One face as YuNet finds it, in the input image's pixels: the box, five landmarks (the
/// person's right eye, left eye, nose tip, right and left mouth corners: on the image, the first
/// eye is the one on the left) and the score, sqrt(class × objectness).
public struct DetectedFace: Sendable, Equatable {
    public var x: Float, y: Float, width: Float, height: Float
    /// (x, y) of: right eye, left eye, nose tip, right mouth corner, left mouth corner.
    public var landmarks: [(x: Float, y: Float)]
    public var score: Float

    public static func == (a: DetectedFace, b: DetectedFace) -> Bool {
        a.x == b.x && a.y == b.y && a.width == b.width && a.height == b.height && a.score == b.score
            && a.landmarks.elementsEqual(b.landmarks) { $0.x == $1.x && $0.y == $1.y }
    }
}

/// OpenCV's YuNet face detector (`face_detection_yunet_2023mar.onnx`), run by our own kernels
/// and decoded as OpenCV's `cv::FaceDetectorYN` does: the image padded right and bottom to a
/// multiple of 32 with black, fed as B, G, R planes of 0–255 floats; per stride 8, 16 and 32, one
/// prior per cell with its box centre and landmarks offset in cells and its size exp(·)·stride;
/// score = sqrt(cls × obj) (each clamped to 0…1); then non-maximum suppression on the boxes
/// truncated to whole pixels (`cv::dnn::NMSBoxes`, eta 1).
public final class YuNet: Sendable {
    public static let modelFileName = "face_detection_yunet_2023mar.onnx"
    static let strides = [8, 16, 32]

    private let model: ONNXModel
    /// Idle workspaces (each serves any input size; a caller takes one for a run).
    private let pool = Mutex<[Workspace]>([])
    private let plans = Mutex<[Int: NetworkPlan]>([:])
    /// At most one run per core at once: the runs are compute-bound, and each holds a
    /// workspace of up to 25 MB (a 640×640 input), so more at once would only add memory.
    private let runs = DispatchSemaphore(value: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    public init(model: ONNXModel) throws(ModelError) {
        self.model = model
        for stride in Self.strides {
            for head in ["cls", "obj", "bbox", "kps"] where !model.graph.outputs.contains("\(head)_\(stride)") {
                throw ModelError("not a YuNet model: no output \(head)_\(stride)")
            }
        }
        _ = try plan(height: 64, width: 64)  // every operator supported, every shape consistent
    }

    public convenience init(file path: String) throws(ModelError) {
        try self.init(model: ONNXModel(bytes: try readModelFile(path)))
    }

    private func plan(height: Int, width: Int) throws(ModelError) -> NetworkPlan {
        let key = height << 20 | width
        if let p = plans.withLock({ $0[key] }) { return p }
        let p = try NetworkPlan(model, inputShape: [1, 3, height, width])
        plans.withLock {
            if $0.count >= 64 { $0.removeAll() }  // sizes come in a few dozen at most; a bound all the same
            $0[key] = p
        }
        return p
    }

    /// The faces in an 8-bit image of `width`×`height` with `channels` interleaved samples per
    /// pixel (1 grey, 3 RGB, 4 RGBA), scored at least `scoreThreshold`.
    public func detect(pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int,
                       scoreThreshold: Float = 0.6, nmsThreshold: Float = 0.3, topK: Int = 5000) throws(ModelError) -> [DetectedFace] {
        try detect(pixels: pixels, width: width, height: height, channels: channels, scoreThreshold: scoreThreshold,
                   nmsThreshold: nmsThreshold, topK: topK, kernels: .current)
    }

    func detect(pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int, scoreThreshold: Float,
                nmsThreshold: Float, topK: Int, kernels: KernelTable) throws(ModelError) -> [DetectedFace] {
        guard width > 0, height > 0, [1, 3, 4].contains(channels), pixels.count >= width * height * channels else {
            throw ModelError("an image of \(width)×\(height)×\(channels) with \(pixels.count) bytes")
        }
        let padW = (width - 1) / 32 * 32 + 32, padH = (height - 1) / 32 * 32 + 32
        let plan = try plan(height: padH, width: padW)
        runs.wait()
        defer { runs.signal() }
        let workspace = pool.withLock { $0.popLast() } ?? Workspace(plan)
        defer { pool.withLock { $0.append(workspace) } }
        workspace.prepare(for: plan)

        // B, G, R planes, black beyond the image.
        let input = workspace.input
        input.update(repeating: 0)
        let plane = padW * padH
        for y in 0..<height {
            for x in 0..<width {
                let s = (y * width + x) * channels, d = y * padW + x
                if channels == 1 {
                    let v = Float(pixels[s])
                    input[d] = v; input[plane + d] = v; input[2 * plane + d] = v
                } else {
                    input[d] = Float(pixels[s + 2]); input[plane + d] = Float(pixels[s + 1]); input[2 * plane + d] = Float(pixels[s])
                }
            }
        }
        workspace.run(kernels: kernels)

        var faces: [DetectedFace] = []
        for stride in Self.strides {
            guard let cls = workspace.output("cls_\(stride)"), let obj = workspace.output("obj_\(stride)"),
                  let bbox = workspace.output("bbox_\(stride)"), let kps = workspace.output("kps_\(stride)") else { continue }
            let cols = padW / stride, rows = padH / stride
            guard cls.count >= rows * cols, obj.count >= rows * cols, bbox.count >= rows * cols * 4, kps.count >= rows * cols * 10 else {
                throw ModelError("YuNet output at stride \(stride) is smaller than \(rows)×\(cols)")
            }
            let s = Float(stride)
            for r in 0..<rows {
                for c in 0..<cols {
                    let i = r * cols + c
                    let score = (min(max(cls[i], 0), 1) * min(max(obj[i], 0), 1)).squareRoot()
                    if score < scoreThreshold { continue }
                    let cx = (Float(c) + bbox[i * 4]) * s, cy = (Float(r) + bbox[i * 4 + 1]) * s
                    let w = expf(bbox[i * 4 + 2]) * s, h = expf(bbox[i * 4 + 3]) * s
                    let marks = (0..<5).map { n in ((kps[i * 10 + 2 * n] + Float(c)) * s, (kps[i * 10 + 2 * n + 1] + Float(r)) * s) }
                    faces.append(DetectedFace(x: cx - w / 2, y: cy - h / 2, width: w, height: h, landmarks: marks, score: score))
                }
            }
        }
        guard faces.count > 1 else { return faces }
        return Self.suppress(faces, scoreThreshold: scoreThreshold, nmsThreshold: nmsThreshold, topK: topK)
    }

    /// `cv::dnn::NMSBoxes` on boxes truncated to whole pixels: by score, highest first (ties in
    /// order found), keeping a box unless it overlaps a kept one by more than `nmsThreshold`
    /// (intersection over union).
    static func suppress(_ faces: [DetectedFace], scoreThreshold: Float, nmsThreshold: Float, topK: Int) -> [DetectedFace] {
        struct Rect { var x: Int, y: Int, w: Int, h: Int }
        func truncated(_ v: Float) -> Int { v.isFinite ? Int(max(-1e9, min(1e9, v))) : 0 }
        let rects = faces.map { Rect(x: truncated($0.x), y: truncated($0.y), w: truncated($0.width), h: truncated($0.height)) }
        var order = faces.indices.filter { faces[$0].score > scoreThreshold }
        order = order.enumerated().sorted { a, b in
            faces[a.element].score != faces[b.element].score ? faces[a.element].score > faces[b.element].score : a.offset < b.offset
        }.map(\.element)
        if topK > 0 && order.count > topK { order = Array(order.prefix(topK)) }
        func overlap(_ a: Rect, _ b: Rect) -> Double {
            let areaA = a.w * a.h, areaB = b.w * b.h
            if areaA + areaB <= 0 { return 1 }
            let x1 = max(a.x, b.x), y1 = max(a.y, b.y)
            let x2 = min(a.x + a.w, b.x + b.w), y2 = min(a.y + a.h, b.y + b.h)
            let inter = x2 > x1 && y2 > y1 ? Double((x2 - x1) * (y2 - y1)) : 0
            return inter / (Double(areaA + areaB) - inter)
        }
        var kept: [Int] = []
        for i in order where kept.allSatisfy({ overlap(rects[i], rects[$0]) <= Double(nmsThreshold) }) {
            kept.append(i)
        }
        return kept.map { faces[$0] }
    }
}

/// Reads a model file whole (at most 64 MiB: a guard against pointing at the wrong file).
func readModelFile(_ path: String) throws(ModelError) -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw ModelError("\(path): cannot open (\(String(cString: strerror(errno))))") }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n <= 0 { break }
        bytes += chunk[0..<n]
        if bytes.count > 64 << 20 { throw ModelError("\(path): larger than 64 MiB, not a face model") }
    }
    return bytes
}
