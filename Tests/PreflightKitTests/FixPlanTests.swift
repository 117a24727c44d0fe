import Foundation
import Testing
import FaceFinder
import PhotoCodec
@testable import PreflightKit

/// The fix planner on constructed scenes: findings from the real rules of the built-in profile,
/// plans from the header and the analysis alone.
@Suite("fix planner")
struct FixPlanTests {
    let profile = Configuration.builtin.profiles[Configuration.builtin.defaultProfile]!
    var checker: Checker { Checker(profile: profile) }
    var limits: FixLimits { FixLimits(profile: profile) }

    /// A JPEG header: `width`×`height` stored, 4:2:0 (16×16 MCUs), `bytes` long.
    func header(_ width: Int, _ height: Int, bytes: Int = 2_000_000, orientation: Orientation = .up, gps: Bool = false) -> PhotoHeader {
        var h = PhotoHeader(format: .jpeg, byteCount: bytes)
        h.width = width
        h.height = height
        h.bitDepth = 8
        h.colorModel = .ycbcr
        h.jpegFrameMarker = 0xC0
        h.jpegMCU = (16, 16)
        h.orientation = orientation
        h.hasExif = gps || orientation != .up
        h.hasGPS = gps
        return h
    }

    /// A frontal face with eyes found: box `side` px at the eye midpoint (ex, ey), eyes level
    /// unless `roll` (degrees) is given.
    func face(ex: Double, ey: Double, side: Int, roll: Double = 0) -> Face {
        let ied = Double(side) * 0.4
        let a = roll * Double.pi / 180
        let dx = cos(a) * ied / 2, dy = sin(a) * ied / 2
        let box = Box(x: Int(ex) - side / 2, y: Int(ey - 0.37 * Double(side)), width: side, height: side)
        return Face(box: box, neighbors: 30, leftEye: Point(x: ex - dx, y: ey - dy), rightEye: Point(x: ex + dx, y: ey + dy))
    }

    /// The built-in profile's findings for a photo with `header` and (when given) one face.
    func result(_ header: PhotoHeader, _ faces: [Face]?, rotated: (Double, Face)? = nil) -> FileResult {
        var facts = PhotoFacts(path: "photo.jpg", header: header)
        var scene: FaceScene?
        if let faces, let w = header.displayWidth, let h = header.displayHeight {
            scene = FaceScene(faces: faces, rotatedFaceAngle: rotated?.0, rotatedFace: rotated?.1)
            facts.faces = FaceAnalysis(imageWidth: w, imageHeight: h, scale: 1, scene: scene!, measures: nil, isGreyscale: false,
                                       backgroundClutter: nil)
        }
        return FileResult(path: "photo.jpg", header: header, findings: checker.evaluate(facts), faces: scene)
    }

    func plan(_ r: FileResult, _ configure: (inout FixOptions) -> Void = { _ in }) -> FixPlan {
        var o = FixOptions()
        configure(&o)
        return FixPlanner.plan(r, limits: limits, options: o)
    }

    /// A good shoulders-up headshot in a `w`×`h` photo: face 30 % of the height, centred.
    func goodFace(_ w: Int, _ h: Int, ex: Double? = nil) -> Face {
        face(ex: ex ?? Double(w) / 2, ey: Double(h) * 0.42, side: h * 30 / 100)
    }

    @Test("a passing photo is copied; nothing else is planned")
    func passes() {
        let r = result(header(1024, 1024), [goodFace(1024, 1024)])
        #expect(r.verdict == .pass, "\(r.findings)")
        let p = plan(r)
        #expect(p.route == .copy && p.steps.isEmpty && p.crop == nil && p.turn == nil && p.outputSize == nil)
    }

    @Test("over the budget only: the JPEG is requantised at full resolution, nothing cropped or resized")
    func oversized() {
        let r = result(header(6000, 8000, bytes: 34_900_000), [goodFace(6000, 8000)])
        #expect(r.findings.map(\.ruleID) == ["file_size"], "\(r.findings)")
        let p = plan(r)
        #expect(p.route == .transcode && p.fitBudget && p.crop == nil && p.outputSize == nil && p.turn == nil, "\(p.steps)")
        #expect(p.steps.contains { $0.answers == ["file_size"] && $0.text.contains("full resolution") }, "\(p.steps)")
        // With a frame asked for, it is re-framed instead.
        let framed = plan(r) { $0.frame = .portrait }
        #expect(framed.route == .render && framed.outputSize! == (720, 1280))
    }

    @Test("a square photo whose only finding is EXIF orientation 6 is turned upright losslessly, keeping its size")
    func orientationOnly() {
        let r = result(header(1024, 1024, orientation: .right), [goodFace(1024, 1024)])
        #expect(r.findings.filter { $0.severity >= .warning }.map(\.ruleID) == ["orientation"], "\(r.findings)")
        let p = plan(r)
        #expect(p.route == .transcode && p.orient && p.crop == nil && p.outputSize == nil && !p.fitBudget)
        #expect(p.steps.first?.text.contains("losslessly") == true, "\(p.steps)")
        // A size that is not a whole number of MCUs along the mirrored edge: decoded and re-encoded.
        let odd = plan(result(header(1000, 1000, orientation: .right), [goodFace(1000, 1000)]))
        #expect(odd.route == .render && odd.orient && odd.crop == nil && odd.outputSize == nil)
        // The check calls it fixable (a warning the planner answers).
        #expect(checker.markFixable(r).findings.first { $0.ruleID == "orientation" }?.fixable == true)
    }

    @Test("GPS only: the metadata is dropped without touching the image data")
    func metadataOnly() {
        let p = plan(result(header(1024, 1024, gps: true), [goodFace(1024, 1024)]))
        #expect(p.route == .edit && p.stripMetadata)
    }

    @Test("an off-centre face with room: the least crop that centres it, keeping the aspect ratio, on the MCU grid, never enlarged")
    func offCentre() {
        let (w, h) = (2000, 1500)
        let r = result(header(w, h), [face(ex: 700, ey: 630, side: 450)])
        let centred = r.findings.first { $0.ruleID == "face_centered" }
        #expect(centred?.severity == .error, "\(r.findings)")
        let p = plan(r)
        let crop = try! #require(p.crop)
        #expect(p.route == .transcode, "a crop alone of a JPEG is lossless: \(p.steps)")
        #expect(crop.x % 16 == 0 && crop.y % 16 == 0 && crop.width >= 512 && crop.height >= 512)
        #expect(abs(Double(crop.width) / Double(crop.height) - Double(w) / Double(h)) < 0.01, "aspect kept: \(crop)")
        #expect(abs((700 - Double(crop.x)) / Double(crop.width) - 0.5) < 0.05, "face centred: \(crop)")
        #expect(!p.predicted.contains { $0.severity == .error || $0.ruleID == "face_centered" }, "\(p.predicted)")
        #expect(p.outputSize == nil)
        #expect(checker.markFixable(r).verdict == .fixable)
        // No room: an eye 200 px from the edge leaves no 512 px crop centred on it.
        let tight = result(header(w, h), [face(ex: 200, ey: 630, side: 300)])
        let refused = plan(tight)
        #expect(refused.route == .none && refused.unfixable.first?.contains("no crop") == true, "\(refused.unfixable)")
        #expect(checker.markFixable(tight).verdict == .fail)
    }

    @Test("a tilted head is levelled about the centre and cropped inside the turned photo, no wedge")
    func tilted() {
        let (w, h) = (3000, 4000)
        let r = result(header(w, h), [face(ex: 1500, ey: 1700, side: 1000, roll: 18)])
        #expect(r.findings.contains { $0.ruleID == "frontal" && $0.severity == .error }, "\(r.findings)")
        let p = plan(r)
        let turn = try! #require(p.turn)
        #expect(abs(turn.degrees - 18) < 0.5 && p.route == .render)
        let c = try! #require(p.crop)
        for (x, y) in [(c.x, c.y), (c.x + c.width - 1, c.y), (c.x, c.y + c.height - 1), (c.x + c.width - 1, c.y + c.height - 1)] {
            let (sx, sy) = Raster.sourcePoint(ofLevelled: Double(x), Double(y), degrees: turn.degrees, cx: turn.cx, cy: turn.cy)
            #expect(sx >= -0.5 && sy >= -0.5 && sx <= Double(w) - 0.5 && sy <= Double(h) - 0.5, "corner (\(x), \(y)) samples outside")
        }
        #expect(!p.predicted.contains { $0.severity == .error }, "\(p.predicted)")
    }

    @Test("a frame is never enlarged silently: the step says so, and past --max-upscale it is refused")
    func enlargement() {
        let r = result(header(720, 1152), [face(ex: 360, ey: 480, side: 300)])
        let p = plan(r) { $0.frame = .portrait }
        #expect(p.steps.contains { $0.text.hasPrefix("enlarge") }, "\(p.steps)")
        let strict = plan(r) { $0.frame = .portrait; $0.maxUpscale = 1 }
        #expect(strict.route == .none && strict.unfixable.first?.contains("enlarge") == true, "\(strict.unfixable)")
        // Without a frame nothing is enlarged and nothing planned.
        #expect(plan(r).outputSize == nil)
    }

    @Test("a PNG over the budget becomes a JPEG of the same size; a PNG within it stays a PNG")
    func pngOverBudget() {
        var h = PhotoHeader(format: .png, byteCount: 24_000_000)
        h.width = 3000
        h.height = 4000
        h.bitDepth = 8
        h.colorModel = .rgb
        let p = plan(result(h, [goodFace(3000, 4000)]))
        #expect(p.format == .jpeg && p.route == .render && p.outputSize == nil && p.crop == nil)
        h.byteCount = 2_000_000
        #expect(plan(result(h, [goodFace(3000, 4000)])).route == .copy)
    }

    @Test("errors without a remedy make the plan write nothing, with each reason")
    func unfixable() {
        let r = result(header(1024, 1024, bytes: 30_000_000), [face(ex: 512, ey: 430, side: 120)])
        #expect(r.findings.contains { $0.ruleID == "face_size" && $0.severity == .error })
        let p = plan(r)
        #expect(p.route == .none && p.unfixable.contains { $0.hasPrefix("face_size:") } && p.answered.isEmpty)
    }
}
