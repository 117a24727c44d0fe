#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FaceNet

/// The cascades face analysis uses, loaded once per run and shared by every worker.
public struct CascadeSet: Sendable {
    public let frontal: Cascade
    public let eyes: Cascade
    public let profile: Cascade
    public let directory: String

    /// File names inside an `opencv-data` folder (haarcascades/ or lbpcascades/).
    public static let frontalFile = "haarcascades/haarcascade_frontalface_alt2.xml"
    public static let eyesFile = "haarcascades/haarcascade_eye.xml"
    public static let profileFile = "haarcascades/haarcascade_profileface.xml"

    /// Where cascades are looked for, in order: `PREFLIGHT_CASCADES`, Debian's opencv-data, a
    /// /usr/local build, Homebrew (Apple silicon and Intel).
    public static func searchDirectories(explicit: String?) -> [String] {
        var dirs: [String] = []
        if let explicit { return [explicit] }
        if let env = getenv("PREFLIGHT_CASCADES") { dirs.append(String(cString: env)) }
        dirs += ["/usr/share/opencv4", "/usr/local/share/opencv4", "/opt/homebrew/share/opencv4",
                 "/usr/local/opt/opencv/share/opencv4", "/usr/share/opencv"]
        return dirs
    }

    /// Loads the three cascades from the first directory that has them all.
    public static func load(explicitDirectory: String? = nil) throws(CascadeError) -> CascadeSet {
        let dirs = searchDirectories(explicit: explicitDirectory)
        for dir in dirs {
            let paths = [frontalFile, eyesFile, profileFile].map { dir + "/" + $0 }
            guard paths.allSatisfy({ access($0, R_OK) == 0 }) else { continue }
            let cascades = try paths.map { (p: String) throws(CascadeError) -> Cascade in try Cascade(file: p) }
            return CascadeSet(frontal: cascades[0], eyes: cascades[1], profile: cascades[2], directory: dir)
        }
        throw CascadeError(
            path: dirs.joined(separator: ", "),
            message: "face detection data not found (looked for \(frontalFile), \(eyesFile) and \(profileFile)). "
                + "Install it with: sudo apt-get install opencv-data — or point --cascades DIR or PREFLIGHT_CASCADES at a folder that has them")
    }
}

extension Cascade {
    /// Reads and parses a cascade file.
    public init(file path: String) throws(CascadeError) {
        guard let f = fopen(path, "rb") else { throw CascadeError(path: path, message: "cannot open (errno \(errno))") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > 64 << 20 { throw CascadeError(path: path, message: "larger than 64 MiB: not a cascade") }
        }
        try self.init(xml: bytes, source: path)
    }
}

/// A point in pixels (sub-pixel).
public struct Point: Sendable, Equatable {
    public var x: Double, y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
    public func distance(to o: Point) -> Double { ((x - o.x) * (x - o.x) + (y - o.y) * (y - o.y)).squareRoot() }
}

/// One face as found: its box, the raw-hit support, and its eyes when they were found; from the
/// network, also the nose tip, the mouth corners and the detector's score.
public struct Face: Sendable, Equatable {
    public var box: Box
    public var neighbors: Int
    /// The eye on the image's left side (the person's right eye) and on the image's right side.
    public var leftEye: Point?
    public var rightEye: Point?
    /// The nose tip and the mouth corners on the image's left and right (network only).
    public var nose: Point?
    public var mouthLeft: Point?
    public var mouthRight: Point?
    /// The network's score, 0–1 (nil for a cascade face).
    public var score: Double?
    public init(box: Box, neighbors: Int, leftEye: Point? = nil, rightEye: Point? = nil, nose: Point? = nil,
                mouthLeft: Point? = nil, mouthRight: Point? = nil, score: Double? = nil) {
        self.box = box
        self.neighbors = neighbors
        self.leftEye = leftEye
        self.rightEye = rightEye
        self.nose = nose
        self.mouthLeft = mouthLeft
        self.mouthRight = mouthRight
        self.score = score
    }

    /// Midway between the eyes, when both were found.
    public var eyeMidpoint: Point? {
        guard let l = leftEye, let r = rightEye else { return nil }
        return Point(x: (l.x + r.x) / 2, y: (l.y + r.y) / 2)
    }

    /// Both eyes found where eyes belong.
    public var verified: Bool { leftEye != nil && rightEye != nil }

    public var interEyeDistance: Double? {
        guard let l = leftEye, let r = rightEye else { return nil }
        return ((r.x - l.x) * (r.x - l.x) + (r.y - l.y) * (r.y - l.y)).squareRoot()
    }
    /// Head roll in degrees from the eye line (positive: the right-hand eye is lower).
    public var rollDegrees: Double? {
        guard let l = leftEye, let r = rightEye else { return nil }
        return atan2(r.y - l.y, r.x - l.x) * 180 / Double.pi
    }

    /// The same face with coordinates multiplied by `s` (analysis → original pixels).
    public func scaled(by s: Double) -> Face {
        func p(_ q: Point?) -> Point? { q.map { Point(x: $0.x * s, y: $0.y * s) } }
        return Face(box: box.scaled(by: s), neighbors: neighbors, leftEye: p(leftEye), rightEye: p(rightEye), nose: p(nose),
                    mouthLeft: p(mouthLeft), mouthRight: p(mouthRight), score: score)
    }
}

/// What the finder saw in one image.
public struct FaceScene: Sendable {
    /// Accepted faces, the main one first (largest verified, else best supported).
    public var faces: [Face]
    /// Candidates the verification threw out (no eyes, tiny beside the main face, inside it).
    public var rejected: [Face]
    /// Profile (turned-head) detections, when no frontal face was accepted.
    public var profiles: [Box]
    /// A frontal face found only after rotating the image by this many degrees (a tilted head).
    public var rotatedFaceAngle: Double?
    /// That face, in the image turned by `rotatedFaceAngle` about its centre (same size).
    public var rotatedFace: Face?

    public init(faces: [Face], rejected: [Face] = [], profiles: [Box] = [], rotatedFaceAngle: Double? = nil,
                rotatedFace: Face? = nil) {
        self.faces = faces
        self.rejected = rejected
        self.profiles = profiles
        self.rotatedFaceAngle = rotatedFaceAngle
        self.rotatedFace = rotatedFace
    }

    public func scaled(by s: Double) -> FaceScene {
        FaceScene(faces: faces.map { $0.scaled(by: s) }, rejected: rejected.map { $0.scaled(by: s) },
                  profiles: profiles.map { $0.scaled(by: s) }, rotatedFaceAngle: rotatedFaceAngle,
                  rotatedFace: rotatedFace?.scaled(by: s))
    }
}

public struct FaceFinder: Sendable {
    public let cascades: CascadeSet
    /// The CNN detector (YuNet); nil searches with the cascades alone (`--detector cascade`).
    public let network: YuNet?
    public init(cascades: CascadeSet, network: YuNet? = nil) {
        self.cascades = cascades
        self.network = network
    }

    /// Candidates with this much support count as faces even when their eyes are not found
    /// (closed eyes, glasses glare, a dark face); fewer need both eyes.
    public static let strongSupport = 12
    /// A second face smaller than this share of the main face's area is ignored as a candidate
    /// unless its eyes are found.
    public static let minimumRelativeArea = 0.1

    public func find(in image: GrayImage) -> FaceScene {
        var deepest = 0
        let scene = find(in: image, equalized: false, deepestStage: &deepest)
        if !scene.faces.isEmpty { return scene }
        // The fallbacks below cost as much again as the first search, so they run only when the
        // image gives a reason: a window the cascade accepted or nearly accepted, a candidate
        // that failed verification, or a histogram that equalisation would change a lot (too
        // dark, washed out, clipped). A faceless photo of normal contrast stops here.
        let sawFace = deepest >= cascades.frontal.stageCount || !scene.rejected.isEmpty
        // A face cut by a side edge leaves no room for the cascade's window (which spans the
        // face and a margin), though windows there get most of the way through the cascade:
        // search again with the sides padded by a fifth of the width each.
        if sawFace || deepest * 4 >= cascades.frontal.stageCount * 3 {
            let padded = paddedSearch(in: image)
            if !padded.faces.isEmpty { return padded }
        }
        guard sawFace || image.poorContrast else { return scene }
        // A washed-out or very dark face: retry on the histogram-equalised image. The fallbacks
        // look only for faces big enough to be a headshot's (an eighth of the short side and up).
        var deepestEqualized = 0
        var retry = find(in: image.equalized(), equalized: true, deepestStage: &deepestEqualized)
        if !retry.faces.isEmpty { return retry }
        guard sawFace || deepestEqualized >= cascades.frontal.stageCount else { return scene }
        (retry.profiles, retry.rotatedFaceAngle, retry.rotatedFace) = turnedOrTilted(in: image)
        return retry.profiles.isEmpty && retry.rotatedFaceAngle == nil ? scene : retry
    }

    /// A face whose side is under this share of the main face's is never significant (its area
    /// is under 6 %, below `face_count`'s lowest threshold of 10 %); windows smaller than it are
    /// not searched once a main face is verified.
    public static let smallestSignificantSide = 0.24

    func find(in image: GrayImage, equalized: Bool, deepestStage: inout Int) -> FaceScene {
        let headshotSide = max(20, min(image.width, image.height) / 8)
        let smallest = equalized ? headshotSide : 20
        // Large windows first (a fifth of the short side and up). When they give a verified main
        // face, the small windows are searched only down to the smallest face that could matter
        // beside it: most of a scan's windows are small, and a headshot's face is large. Window
        // sizes are the same ladder either way, so what is searched gives exactly the full
        // search's detections for every face that could matter.
        let split = max(smallest, min(image.width, image.height) / 5)
        var raw = cascades.frontal.detectRaw(in: image, options: DetectionOptions(minNeighbors: 3, minSize: split),
                                             deepestStage: &deepestStage)
        var lower = smallest
        var eyeCache: [Box: (Point?, Point?)] = [:]
        let large = Grouping.grouped(raw, minNeighbors: 3)
        // Judging costs an eye search per candidate: only worth it when a candidate is big enough
        // to raise the lower bound.
        if split > smallest, let biggest = large.first, Self.smallestSignificantSide * Double(biggest.box.width) > Double(smallest),
           let main = judge(large, in: image, eyeCache: &eyeCache).faces.first {
            lower = max(smallest, Int(Self.smallestSignificantSide * Double(main.box.width)))
        }
        if lower < split {
            var deeper = 0
            raw += cascades.frontal.detectRaw(in: image, options: DetectionOptions(minNeighbors: 3, minSize: lower, maxSize: split - 1),
                                              deepestStage: &deeper)
            deepestStage = max(deepestStage, deeper)
        }
        return judge(Grouping.grouped(raw, minNeighbors: 3), in: image, eyeCache: &eyeCache)
    }

    /// Eyes for every candidate, then acceptance: verified or strongly supported faces, the main
    /// face the largest; faces nested in or overlapping it are the same face.
    func judge(_ candidates: [Detection], in image: GrayImage, eyeCache: inout [Box: (Point?, Point?)]) -> FaceScene {
        var faces: [Face] = []
        var rejected: [Face] = []
        for c in candidates {
            var face = Face(box: c.box, neighbors: c.neighbors)
            let found = eyeCache[c.box] ?? eyes(in: image, face: c.box)
            eyeCache[c.box] = found
            (face.leftEye, face.rightEye) = found
            faces.append(face)
        }
        // Accept verified or strongly supported faces; the main face is the largest accepted.
        var accepted = faces.filter { $0.verified || $0.neighbors >= Self.strongSupport }
        rejected = faces.filter { !($0.verified || $0.neighbors >= Self.strongSupport) }
        accepted.sort { $0.box.area > $1.box.area }
        if let main = accepted.first {
            var kept = [main]
            for f in accepted.dropFirst() {
                // Nested or overlapping the main face: the same face found twice.
                if f.box.overlapOfSmaller(main.box) > 0.3 { rejected.append(f); continue }
                kept.append(f)
            }
            accepted = kept
        } else if let best = faces.max(by: { $0.neighbors < $1.neighbors }), best.neighbors >= 6,
                  best.leftEye != nil || best.rightEye != nil {
            // Nothing verified: a well-supported candidate with one eye still counts (a half-shadowed face).
            accepted = [best]
            rejected.removeAll { $0 == best }
        }
        return FaceScene(faces: accepted, rejected: rejected, profiles: [], rotatedFaceAngle: nil)
    }

    /// The frontal search on the image with its sides extended by `pad` columns of the edge
    /// pixels each; boxes and eyes map back to `image`'s pixels (a box may then reach past an edge).
    func paddedSearch(in image: GrayImage) -> FaceScene {
        let pad = max(1, image.width / 5)
        let w = image.width + 2 * pad
        var px = [UInt8](repeating: 0, count: w * image.height)
        for y in 0..<image.height {
            let src = y * image.width, dst = y * w
            let first = image.pixels[src], last = image.pixels[src + image.width - 1]
            for x in 0..<pad { px[dst + x] = first; px[dst + pad + image.width + x] = last }
            for x in 0..<image.width { px[dst + pad + x] = image.pixels[src + x] }
        }
        var deepest = 0
        var scene = find(in: GrayImage(width: w, height: image.height, pixels: px), equalized: false, deepestStage: &deepest)
        func back(_ f: Face) -> Face {
            var f = f
            f.box.x -= pad
            f.leftEye = f.leftEye.map { Point(x: $0.x - Double(pad), y: $0.y) }
            f.rightEye = f.rightEye.map { Point(x: $0.x - Double(pad), y: $0.y) }
            return f
        }
        // Only faces that reach into the padding are new; the rest the first search already judged.
        scene.faces = scene.faces.map(back).filter { $0.box.x < 0 || $0.box.maxX > image.width }
        scene.rejected = scene.rejected.map(back)
        return scene
    }

    /// Turned or tilted heads: the profile detector (both directions), then the frontal one on
    /// the image rotated both ways; on a copy at most 320 px long, as only headshot-sized faces
    /// matter here. Profile boxes are in `image`'s pixels.
    func turnedOrTilted(in image: GrayImage) -> (profiles: [Box], rotatedFaceAngle: Double?, rotatedFace: Face?) {
        let headshotSide = max(20, min(image.width, image.height) / 8)
        let k = min(1, 320 / Double(max(image.width, image.height)))
        let small = k < 1 ? image.resized(width: max(1, Int(Double(image.width) * k)), height: max(1, Int(Double(image.height) * k))) : image
        let minSide = max(20, Int(Double(headshotSide) * k))
        let options = DetectionOptions(minNeighbors: 4, minSize: minSide)
        var profiles = cascades.profile.detect(in: small, options: options).map(\.box)
        profiles += cascades.profile.detect(in: small.mirrored(), options: options).map {
            Box(x: small.width - $0.box.maxX, y: $0.box.y, width: $0.box.width, height: $0.box.height)
        }
        if !profiles.isEmpty { return (profiles.map { $0.scaled(by: 1 / k) }, nil, nil) }
        for angle in [25.0, -25.0, 15.0, -15.0] {
            let rotated = small.rotated(degrees: angle)
            let found = cascades.frontal.detect(in: rotated, options: DetectionOptions(minNeighbors: 3, minSize: minSide))
            // Only a face whose eyes are found counts: rotation makes false faces easily.
            if let f = found.first, f.neighbors >= 6, case let (l?, r?) = eyes(in: rotated, face: f.box),
               abs(r.y - l.y) < 0.25 * (r.x - l.x) {
                // In `image`'s pixels: the turned copy is `image` shrunk by k, turned about its centre.
                let face = Face(box: f.box, neighbors: f.neighbors, leftEye: l, rightEye: r).scaled(by: 1 / k)
                return ([], angle, face)
            }
        }
        return ([], nil, nil)
    }

    /// Eyes inside the upper part of a face box: the best eye-cascade hit on each side.
    func eyes(in image: GrayImage, face: Box) -> (Point?, Point?) {
        // Eyes sit 20–55 % down a frontal-cascade box; search that band, scaled so the face is
        // about 150 px wide (eyes then span ~30 px, above the 20 px eye window).
        let band = Box(x: face.x, y: face.y + face.height / 6, width: face.width, height: face.height * 2 / 5)
        var crop = image.cropped(band)
        let scale = 150.0 / Double(face.width)
        let cw = max(1, Int((Double(crop.width) * scale).rounded())), ch = max(1, Int((Double(crop.height) * scale).rounded()))
        crop = crop.resized(width: cw, height: ch)
        let options = DetectionOptions(scaleFactor: 1.1, minNeighbors: 2, minSize: 18, maxSize: 75)
        let hits = cascades.eyes.detect(in: crop, options: options)
        var left: (Point, Int)?, right: (Point, Int)?
        let mid = Double(cw) / 2
        for h in hits {
            let c = Point(x: h.box.centerX, y: h.box.centerY)
            // An eye is away from the midline (the nose bridge) and not at the box's far edge.
            guard abs(c.x - mid) > Double(cw) * 0.08, abs(c.x - mid) < Double(cw) * 0.42 else { continue }
            if c.x < mid { if left == nil || h.neighbors > left!.1 { left = (c, h.neighbors) } }
            else if right == nil || h.neighbors > right!.1 { right = (c, h.neighbors) }
        }
        func back(_ p: Point) -> Point {
            Point(x: Double(band.x) + p.x / scale, y: Double(max(0, band.y)) + p.y / scale)
        }
        return (left.map { back($0.0) }, right.map { back($0.0) })
    }
}

extension GrayImage {
    /// Too dark, washed out or clipped for the cascade to see a face reliably: the middle 96 %
    /// of pixels span fewer than 100 grey levels, or 2 % are clipped white, or a quarter are
    /// near black.
    public var poorContrast: Bool {
        var hist = [Int](repeating: 0, count: 256)
        for p in pixels { hist[Int(p)] += 1 }
        let n = pixels.count
        guard n > 0 else { return false }
        var cum = 0, p2 = 0, p98 = 255
        for v in 0..<256 {
            if cum * 50 < n, (cum + hist[v]) * 50 >= n { p2 = v }
            if cum * 50 < n * 49, (cum + hist[v]) * 50 >= n * 49 { p98 = v }
            cum += hist[v]
        }
        let clipped = hist[250...].reduce(0, +), dark = hist[...30].reduce(0, +)
        return p98 - p2 < 100 || clipped * 50 >= n || dark * 4 >= n
    }

    /// Histogram-equalised copy (as OpenCV's equalizeHist).
    public func equalized() -> GrayImage {
        var hist = [Int](repeating: 0, count: 256)
        for p in pixels { hist[Int(p)] += 1 }
        guard let first = hist.firstIndex(where: { $0 > 0 }), hist[first] < pixels.count else { return self }
        var lut = [UInt8](repeating: 0, count: 256)
        var cum = 0
        let denominator = Double(pixels.count - hist[first])
        for v in first..<256 {
            cum += hist[v]
            lut[v] = UInt8(max(0, min(255, (Double(cum - hist[first]) * 255 / denominator).rounded())))
        }
        return GrayImage(width: width, height: height, pixels: pixels.map { lut[Int($0)] })
    }

    /// Rotated about the centre by `degrees` (counter-clockwise), same size, edges filled grey.
    public func rotated(degrees: Double) -> GrayImage {
        let a = degrees * Double.pi / 180, c = cos(a), s = sin(a)
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        var out = [UInt8](repeating: 128, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let dx = Double(x) - cx, dy = Double(y) - cy
                let sx = c * dx - s * dy + cx, sy = s * dx + c * dy + cy
                let ix = Int(sx.rounded(.down)), iy = Int(sy.rounded(.down))
                guard ix >= 0, iy >= 0, ix + 1 < width, iy + 1 < height else { continue }
                let fx = sx - Double(ix), fy = sy - Double(iy)
                let p = iy * width + ix
                let top = Double(pixels[p]) * (1 - fx) + Double(pixels[p + 1]) * fx
                let bottom = Double(pixels[p + width]) * (1 - fx) + Double(pixels[p + width + 1]) * fx
                out[y * width + x] = UInt8((top * (1 - fy) + bottom * fy).rounded())
            }
        }
        return GrayImage(width: width, height: height, pixels: out)
    }
}
