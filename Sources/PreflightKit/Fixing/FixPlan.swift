#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FaceFinder
import PhotoCodec

/// How `preflight fix` works: options a user sets.
public struct FixOptions: Sendable {
    /// The Avatar IV frames: a shoulders-up crop resized to the frame.
    public enum Frame: String, Sendable, CaseIterable {
        case portrait, landscape, square
        public var size: (width: Int, height: Int) {
            switch self {
            case .portrait: (720, 1280)
            case .landscape: (1280, 720)
            case .square: (720, 720)
            }
        }
    }
    public enum Fit: String, Sendable, CaseIterable { case cover, contain }
    public enum Format: String, Sendable, CaseIterable { case jpeg, png }

    /// nil: the photo keeps its own frame; only what the findings ask for changes.
    public var frame: Frame?
    public var fit = Fit.cover
    /// The size budget; nil takes the profile's `file_size.max_bytes`.
    public var maxBytes: Int?
    public var qualityFloor = 70
    /// nil: the photo keeps its format when the profile accepts it (JPEG otherwise, and for a PNG
    /// that cannot fit the size budget).
    public var format: Format?
    /// The most the pixels may be enlarged; nil: 1 (never) without a frame, 2 with one.
    public var maxUpscale: Double?
    /// Alpha is flattened onto this colour.
    public var background: (UInt8, UInt8, UInt8) = (255, 255, 255)
    public init() {}

    public var upscaleLimit: Double { maxUpscale ?? (frame == nil ? 1 : 2) }
}

/// What the profile asks of an output, read once from its typed rule values.
public struct FixLimits: Sendable {
    /// `file_size.max_bytes` (10 MB when the rule is off: outputs stay upload-sized).
    public var budget = 10_000_000
    public var minWidth = 512, minHeight = 512
    public var accepted: [ImageFormat] = [.jpeg, .png]
    /// The face rules whose verdict depends on where the face sits in the frame, with their
    /// configured ceilings: the planner runs them on the output it predicts.
    var geometryRules: [(rule: any Rule, ceiling: Severity)] = []
    /// `framing.min_face_height_percent` / `max_…` as fractions (nil when framing is off).
    public var framingShare: (min: Double, max: Double)?

    public init(profile: Profile, maxBytes: Int? = nil) {
        for (rule, severity) in profile.activeRules() {
            guard let ceiling = severity.ceiling else { continue }
            switch rule {
            case let r as FileSizeRule: budget = r.maxBytes
            case let r as ResolutionRule:
                minWidth = r.minWidth
                minHeight = r.minHeight
            case let r as FormatRule: accepted = r.options.formats("accepted")
            case let r as FramingRule: framingShare = (r.minShare, r.maxShare)
            default: break
            }
            if FixPlanner.geometryRuleIDs.contains(rule.id) { geometryRules.append((rule, ceiling)) }
        }
        if let maxBytes { budget = maxBytes }
    }
}

/// What `fix` will do with one photo, decided from `check`'s analysis alone: no pixel is decoded
/// and no face is searched for to make it. Every step names the findings it answers.
public struct FixPlan: Sendable {
    public enum Route: String, Sendable {
        /// Nothing to change: the file is copied byte for byte.
        case copy
        /// Only metadata changes: segments or chunks are dropped, the image data is copied.
        case edit
        /// A JPEG rewritten from its DCT coefficients: turned upright losslessly, requantised to
        /// fit the budget, metadata kept or dropped; no pixel is decoded.
        case transcode
        /// Decoded, converted, levelled, cropped, resized and encoded.
        case render
        /// No output: `unfixable` says why.
        case none
    }
    public struct Step: Sendable, Equatable, CustomStringConvertible {
        public var text: String
        /// The rule ids of the findings this step answers (empty for a note or a side effect).
        public var answers: [String]
        public var description: String { answers.isEmpty ? text : "\(text) [\(answers.joined(separator: ", "))]" }
    }
    /// A turn about (cx, cy) that levels a line at `degrees` (`Raster.levelled`).
    public struct Turn: Sendable, Equatable {
        public var degrees: Double, cx: Double, cy: Double
    }

    public var route: Route = .none
    public var steps: [Step] = []
    /// Why no output can be made (route `none`).
    public var unfixable: [String] = []
    /// Indices into the photo's findings that the plan answers.
    public var answered: Set<Int> = []
    /// The output's format (its file name takes this extension).
    public var format: ImageFormat = .jpeg
    /// Bake the EXIF orientation into the pixels (losslessly on the transcode route).
    public var orient = false
    public var turn: Turn?
    /// The rectangle of the (upright, levelled) photo that becomes the output, in its pixels;
    /// it may reach beyond the photo when `pad`. nil: the whole photo.
    public var crop: PixelRect?
    public var pad = false
    /// The output's size when it differs from the crop's (a frame).
    public var outputSize: (width: Int, height: Int)?
    /// Bytes the output must fit in, and the lowest JPEG quality allowed to get there.
    public var budget = 10_000_000
    public var qualityFloor = 70
    /// The current file is over the budget (or turns into a larger format): search the quality.
    public var fitBudget = false
    /// Drop metadata (EXIF, XMP, IPTC, comments; the colour profile stays) because a finding asks.
    public var stripMetadata = false
    /// The geometry rules' findings on the output the plan predicts.
    public var predicted: [Finding] = []

    /// Writes something.
    public var writes: Bool { route != .none }
}

/// Turns a photo's check result into a `FixPlan`: pure, no decoding, no detection. `check` asks
/// it which findings are fixable (with the default options), `fix` executes what it returns, so
/// the two cannot disagree.
public enum FixPlanner {
    /// Rules whose findings depend on the face's place in the frame.
    static let geometryRuleIDs: Set<String> = ["face_count", "face_size", "face_centered", "face_cut_off", "framing", "frontal"]

    /// The output format for a photo with `header`: `options.format`, else the photo's own when
    /// the profile accepts it, else the first accepted of JPEG and PNG; a PNG larger than the
    /// budget becomes a JPEG (no PNG setting makes a photo several times smaller).
    public static func outputFormat(header: PhotoHeader, limits: FixLimits, options: FixOptions) -> ImageFormat {
        if let f = options.format { return f == .jpeg ? .jpeg : .png }
        let writable: [ImageFormat] = [.jpeg, .png]
        if header.format == .png && header.byteCount > limits.budget && limits.accepted.contains(.jpeg) { return .jpeg }
        if writable.contains(header.format) && limits.accepted.contains(header.format) { return header.format }
        return writable.first { limits.accepted.contains($0) } ?? .jpeg
    }

    public static func plan(_ before: FileResult, limits: FixLimits, options: FixOptions) -> FixPlan {
        var plan = FixPlan()
        plan.budget = limits.budget
        plan.qualityFloor = options.qualityFloor
        guard let header = before.header, header.format.isDecodable, header.problem == nil,
              let W = header.displayWidth, let H = header.displayHeight, W > 0, H > 0
        else {
            plan.unfixable = before.findings.filter { $0.severity == .error }.map { "\($0.ruleID): \($0.message)" }
            if plan.unfixable.isEmpty { plan.unfixable = ["the file cannot be read as a photo"] }
            return plan
        }
        plan.format = outputFormat(header: header, limits: limits, options: options)

        // What the findings ask for. Info findings ask for nothing; warnings are repaired when a
        // remedy exists and left alone otherwise; an error without a remedy means no output.
        var pixels: [(String, String)] = []  // (step text, rule) for conversions that need decoding
        var geometry: [String] = []
        var unanswered: [Finding] = []
        var orient = false, strip = false, budget = false, recode = false
        // Whether a finding has a remedy is decided here, from the finding and the header, not
        // from its `fixable` flag (which `check` sets from this planner's default plan).
        for (i, f) in before.findings.enumerated() where f.severity >= .warning {
            var answered = true
            switch (f.ruleID, f.kind) {
            case ("orientation", _): orient = true
            case ("metadata", _): strip = true
            case ("file_size", _): budget = true
            case ("format", "extension_mismatch"): break  // the output is named for its content
            case ("format", "jpeg_coding"):
                recode = true
                answered = !header.isLosslessJPEG
            case ("format", "cmyk"): pixels.append(("convert CMYK to RGB", "format"))
            case ("format", "high_bit_depth"):
                pixels.append(("reduce 16-bit samples to 8-bit", "format"))
                answered = header.format == .png
            case ("format", "alpha"): pixels.append(("flatten the transparency onto a plain background", "format"))
            case ("format", "animated"): pixels.append(("keep the first frame of the animation", "format"))
            case ("format", "accepted"):
                pixels.append(("convert to \(plan.format.displayName)", "format"))
                answered = limits.accepted.contains(plan.format)
            case ("face_centered", _), ("framing", "distant"), ("frontal", "roll"), ("frontal", "rotated"):
                geometry.append(f.ruleID)
            default: answered = false
            }
            if answered {
                plan.answered.insert(i)
            } else if f.severity == .error {
                unanswered.append(f)
            }
        }
        if !unanswered.isEmpty {
            plan.unfixable = unanswered.map { "\($0.ruleID): \($0.message)" }
            plan.answered = []
            return plan
        }
        let converting = plan.format != header.format
        let frame = options.frame
        var steps: [FixPlan.Step] = []

        // Geometry: a frame asked for, or face findings a crop or turn answers.
        if frame != nil || !geometry.isEmpty {
            let analysis = before.faces
            if let frame, analysis?.faces.first == nil, analysis?.rotatedFace == nil {
                if analysis != nil && !geometry.isEmpty {
                    plan.unfixable = ["no face was found to crop around"]
                    plan.answered = []
                    return plan
                }
                // Face rules off: the frame is cut from (or padded around) the photo's centre.
                let aspect = Double(frame.size.width) / Double(frame.size.height)
                var w = Double(W), h = Double(H)
                if (w / h > aspect) != (options.fit == .contain) { w = h * aspect } else { h = w / aspect }
                plan.crop = PixelRect(x: Int(((Double(W) - w) / 2).rounded()), y: Int(((Double(H) - h) / 2).rounded()),
                                      width: max(1, Int(w.rounded())), height: max(1, Int(h.rounded())))
                plan.pad = options.fit == .contain && (plan.crop!.x < 0 || plan.crop!.y < 0)
                steps.append(.init(text: "cut the \(frame.rawValue) frame from the photo's centre (face rules are off)", answers: []))
            } else if let scene = analysis {
                // A JPEG staying a JPEG with nothing else to decode is cropped losslessly: the crop's
                // corner then sits on the MCU grid of the upright image.
                var grid: (Int, Int)?
                if header.format == .jpeg, plan.format == .jpeg, pixels.isEmpty, let mcu = header.jpegMCU,
                   header.orientation == .up || header.losslessTurnPossible {
                    grid = header.orientation.swapsDimensions ? (mcu.height, mcu.width) : (mcu.width, mcu.height)
                }
                guard let solved = solveGeometry(scene: scene, width: W, height: H, limits: limits, options: options,
                                                 fixing: geometry, header: header, grid: grid)
                else {
                    plan.unfixable = [frame != nil
                        ? "not enough photo around the face for a shoulders-up \(frame!.rawValue) crop: the face is too close to an edge "
                            + "(use --fit contain to pad instead)"
                        : "no crop of at least \(limits.minWidth)×\(limits.minHeight) px around the face passes every face rule "
                            + "(\(Set(geometry).sorted().joined(separator: ", ")))"]
                    plan.answered = []
                    return plan
                }
                plan.turn = solved.turn
                plan.crop = solved.crop
                plan.pad = solved.pad
                plan.predicted = solved.predicted
                steps += solved.steps
            } else {
                plan.unfixable = ["the photo's faces were not analysed (the face rules are off), so it cannot be cropped around one"]
                plan.answered = []
                return plan
            }
        }
        // Enlargement is never silent, and never beyond the limit.
        if let frame {
            let crop = plan.crop ?? PixelRect(x: 0, y: 0, width: W, height: H)
            let target = frame.size
            let up = max(Double(target.width) / Double(crop.width), Double(target.height) / Double(crop.height))
            if up > options.upscaleLimit + 1e-9 {
                plan.unfixable = ["the crop is only \(crop.width)×\(crop.height) px; the \(target.width)×\(target.height) frame "
                                  + "would enlarge it \(format2(up))× (at most \(format2(options.upscaleLimit)))×; raise --max-upscale)"]
                plan.answered = []
                return plan
            }
            if crop.width != target.width || crop.height != target.height {
                plan.outputSize = target
                steps.append(.init(text: up > 1.0005 ? "enlarge \(format2(up))× to \(target.width)×\(target.height)"
                                                    : "resize to \(target.width)×\(target.height)", answers: []))
            }
        }

        // A crop alone (no turn, no resize) of a JPEG staying a JPEG is done on the coefficients.
        let losslessCrop = plan.crop != nil && plan.turn == nil && plan.outputSize == nil && !plan.pad && pixels.isEmpty
            && header.format == .jpeg && plan.format == .jpeg && (header.orientation == .up || header.losslessTurnPossible)
            && plan.crop.map { c in header.jpegMCU.map { m in
                let (gw, gh) = header.orientation.swapsDimensions ? (m.height, m.width) : (m.width, m.height)
                return c.x % gw == 0 && c.y % gh == 0 } ?? false } == true
        let geometryChanges = (plan.crop != nil && !losslessCrop) || plan.turn != nil || plan.outputSize != nil
        let needsPixels = geometryChanges || !pixels.isEmpty || (converting && header.format != .jpeg) || (converting && plan.format == .png)
        plan.orient = orient || (needsPixels && header.orientation != .up)
        plan.stripMetadata = strip
        plan.fitBudget = budget || converting

        if header.orientation != .up && plan.orient {
            let lossless = !needsPixels && header.format == .jpeg && plan.format == .jpeg && header.losslessTurnPossible
            steps.insert(.init(text: "turn the pixels upright (EXIF orientation \(header.orientation.rawValue))"
                               + (lossless ? ", losslessly" : ""), answers: orient ? ["orientation"] : []), at: 0)
        }
        for (text, rule) in pixels { steps.append(.init(text: text, answers: [rule])) }
        if before.findings.contains(where: { $0.ruleID == "format" && $0.kind == "extension_mismatch" && $0.severity >= .warning }) {
            steps.append(.init(text: "name it .\(plan.format.extensions[0]) for its content", answers: ["format"]))
        }
        if recode { steps.append(.init(text: "re-encode the entropy coding as baseline Huffman", answers: ["format"])) }

        if needsPixels || (orient && !(header.format == .jpeg && plan.format == .jpeg && header.losslessTurnPossible)) {
            plan.route = .render
            if converting { steps.append(.init(text: "convert \(header.format.displayName) to \(plan.format.displayName)", answers: budget ? ["file_size"] : [])) }
            steps.append(.init(text: "encode \(plan.format.displayName)"
                               + (plan.format == .jpeg ? " at the best quality under \(Units.bytes(plan.budget))" : "")
                               + "; no metadata (EXIF, GPS, XMP, comments), colours converted to sRGB",
                               answers: (budget ? ["file_size"] : []) + (strip ? ["metadata"] : [])))
            plan.fitBudget = true
        } else if header.format == .jpeg && (orient || budget || recode || losslessCrop) {
            plan.route = .transcode
            if losslessCrop, let i = steps.firstIndex(where: { $0.text.hasPrefix("crop to") }) {
                steps[i].text += ", losslessly (its corner on the JPEG's MCU grid)"
            }
            if budget {
                steps.append(.init(text: "requantise the JPEG at full resolution to the best quality under \(Units.bytes(plan.budget)) "
                                   + "(smaller only if quality \(options.qualityFloor) cannot fit)", answers: ["file_size"]))
            }
            steps.append(.init(text: strip ? "drop the metadata (EXIF with GPS, XMP, comments); keep the colour profile"
                                           : "keep the metadata" + (orient ? " (EXIF orientation set to 1)" : ""),
                               answers: strip ? ["metadata"] : []))
        } else if strip {
            plan.route = .edit
            steps.append(.init(text: "drop the metadata (EXIF with GPS, XMP, text chunks, comments) without touching the image data; "
                               + "keep the colour profile", answers: ["metadata"]))
        } else {
            plan.route = .copy
        }
        plan.steps = steps
        return plan
    }

    // MARK: - Geometry

    struct Geometry {
        var turn: FixPlan.Turn?
        var crop: PixelRect
        var pad: Bool
        var steps: [FixPlan.Step]
        var predicted: [Finding]
    }

    /// The turn and crop for the face findings being fixed (or the frame asked for) that the
    /// geometry rules pass on, predicted from the analysis; nil when none does.
    static func solveGeometry(scene: FaceScene, width W: Int, height H: Int, limits: FixLimits, options: FixOptions,
                              fixing: [String], header: PhotoHeader, grid: (Int, Int)? = nil) -> Geometry? {
        let Wd = Double(W), Hd = Double(H)
        // The face in the levelled frame, and the turn that makes it.
        var turn: FixPlan.Turn?
        var face: Face
        var steps: [FixPlan.Step] = []
        if let main = scene.faces.first {
            face = main
            if let roll = main.rollDegrees, abs(roll) > 2, fixing.contains("frontal") || options.frame != nil {
                let t = FixPlan.Turn(degrees: roll, cx: Wd / 2, cy: Hd / 2)
                turn = t
                face = levelled(main, by: t)
                steps.append(.init(text: "level the eyes (turn \(Int(abs(roll).rounded()))° \(roll > 0 ? "anticlockwise" : "clockwise"))",
                                   answers: fixing.contains("frontal") ? ["frontal"] : []))
            }
        } else if let angle = scene.rotatedFaceAngle, let rotated = scene.rotatedFace {
            turn = FixPlan.Turn(degrees: angle, cx: Wd / 2, cy: Hd / 2)
            face = rotated
            steps.append(.init(text: "turn the photo \(Int(abs(angle)))° \(angle > 0 ? "anticlockwise" : "clockwise") to level the head",
                               answers: ["frontal"]))
        } else {
            return nil
        }
        let others = scene.faces.dropFirst().map { face in turn.map { levelled(face, by: $0) } ?? face }
        let g = FaceAnalysis.geometry(of: face)

        /// Whether the crop's corners sample inside the photo (no edge smear or wedge).
        func inside(_ x: Double, _ y: Double, _ w: Double, _ h: Double) -> Bool {
            guard x >= -0.01, y >= -0.01, x + w <= Wd + 0.01, y + h <= Hd + 0.01 else { return false }
            guard let turn else { return true }
            for (px, py) in [(x, y), (x + w - 1, y), (x, y + h - 1), (x + w - 1, y + h - 1)] {
                let (sx, sy) = Raster.sourcePoint(ofLevelled: px, py, degrees: turn.degrees, cx: turn.cx, cy: turn.cy)
                if sx < -0.5 || sy < -0.5 || sx > Wd - 0.5 || sy > Hd - 0.5 { return false }
            }
            return true
        }
        /// The geometry rules' findings on the output (crop, then resized to `size`).
        func predict(_ rect: PixelRect, size: (width: Int, height: Int)?) -> [Finding] {
            let out = size ?? (rect.width, rect.height)
            let k = Double(out.width) / Double(rect.width)
            func map(_ f: Face) -> Face {
                let b = f.box
                let box = Box(x: Int(((Double(b.x) - Double(rect.x)) * k).rounded()), y: Int(((Double(b.y) - Double(rect.y)) * k).rounded()),
                              width: max(1, Int((Double(b.width) * k).rounded())), height: max(1, Int((Double(b.height) * k).rounded())))
                func p(_ q: Point?) -> Point? { q.map { Point(x: ($0.x - Double(rect.x)) * k, y: ($0.y - Double(rect.y)) * k) } }
                return Face(box: box, neighbors: f.neighbors, leftEye: p(f.leftEye), rightEye: p(f.rightEye))
            }
            // Other faces wholly outside the crop are gone.
            let kept = others.filter { o in
                o.box.maxX > rect.x && o.box.x < rect.x + rect.width && o.box.maxY > rect.y && o.box.y < rect.y + rect.height
            }
            let predictedScene = FaceScene(faces: [map(face)] + kept.map(map))
            var outHeader = header
            outHeader.width = out.width
            outHeader.height = out.height
            outHeader.orientation = .up
            var facts = PhotoFacts(path: "", header: outHeader)
            facts.faces = FaceAnalysis(imageWidth: out.width, imageHeight: out.height, scale: 1, scene: predictedScene,
                                       measures: nil, isGreyscale: false, backgroundClutter: nil)
            var findings: [Finding] = []
            for (rule, ceiling) in limits.geometryRules {
                for var f in rule.check(facts) {
                    f.severity = min(f.severity, ceiling)
                    findings.append(f)
                }
            }
            return findings
        }
        func acceptable(_ findings: [Finding]) -> Bool {
            // No error, and the face centred within the warning limit (re-detection on the
            // output moves the box by a few per cent; centring leaves that margin).
            !findings.contains { $0.severity == .error || ($0.ruleID == "face_centered") }
        }

        if let frame = options.frame {
            return frameCrop(frame: frame, g: g, turn: turn, steps: steps, W: Wd, H: Hd, options: options, limits: limits,
                             inside: inside, predict: predict, acceptable: acceptable)
        }

        /// The rectangle in whole pixels; on the MCU grid (corner rounded down) for a lossless crop.
        func snapped(_ x: Double, _ y: Double, _ w: Double, _ h: Double) -> PixelRect {
            var r = PixelRect(x: Int(x.rounded()), y: Int(y.rounded()), width: Int(w.rounded()), height: Int(h.rounded()))
            if turn == nil, let (gw, gh) = grid {
                r.x = max(0, r.x) / gw * gw
                r.y = max(0, r.y) / gh * gh
            }
            r.width = min(r.width, W - r.x)
            r.height = min(r.height, H - r.y)
            return r
        }

        // The least change that passes: the photo's own aspect first, as large as possible,
        // centred on the eyes; then, for centring, the full height (or width) narrowed.
        let aspect = Wd / Hd
        let minW = Double(limits.minWidth), minH = Double(limits.minHeight)
        var wantShare: Double?
        if fixing.contains("framing"), let share = limits.framingShare {
            // A distant shot: crop until the face is comfortably above the minimum share.
            wantShare = min(share.max - 0.05, share.min + 0.05)
        }
        let eyeFraction = g.eyeMid.y / Hd
        let fractions = [min(0.5, max(0.3, eyeFraction)), 0.40, 0.36, 0.44, 0.32, 0.48]
        /// A `w`×`h` crop centred on the eyes, the eye line at one of `fractions` of its height
        /// (clamped into the photo), that the face rules pass on; nil when none does.
        func centred(_ w: Double, _ h: Double) -> Geometry? {
            for f in fractions {
                let x = g.eyeMid.x - w / 2
                let y = min(max(0, g.eyeMid.y - f * h), Hd - h)
                guard inside(x, y, w, h) else { continue }
                let rect = snapped(x, y, w, h)
                let findings = predict(rect, size: nil)
                if acceptable(findings) {
                    let answered = fixing.filter { $0 != "frontal" }
                    return Geometry(turn: turn, crop: rect, pad: false,
                                    steps: steps + [.init(text: cropText(rect, W: W, H: H), answers: answered)], predicted: findings)
                }
            }
            return nil
        }
        var h = Hd
        if let wantShare { h = min(Hd, Double(g.box.height) / wantShare) }
        while h >= minH && h * aspect >= minW {
            if let found = centred(h * aspect, h) { return found }
            h *= 0.98
        }
        // Free aspect: keep the height, narrow the width around the face.
        if wantShare == nil {
            var h = Hd
            while h >= minH {
                let w = min(2 * min(g.eyeMid.x, Wd - g.eyeMid.x), h * 4)
                if w >= minW, let found = centred(w, h) { return found }
                h *= 0.98
            }
        }
        return nil
    }

    static func cropText(_ r: PixelRect, W: Int, H: Int) -> String {
        let kept = Double(r.width * r.height) / Double(W * H)
        return "crop to \(r.width)×\(r.height) at (\(r.x), \(r.y)), the face centred (\(Int((kept * 100).rounded())) % of the photo kept)"
    }

    /// The shoulders-up crop for an Avatar IV frame: face box about 32 % of the height, eye line
    /// 42 % from the top, the face centred; with --fit cover the largest such crop inside the
    /// (levelled) photo, with --fit contain the full crop padded beyond the photo's edges.
    static func frameCrop(frame: FixOptions.Frame, g: FaceAnalysis.Geometry, turn: FixPlan.Turn?, steps: [FixPlan.Step],
                          W: Double, H: Double, options: FixOptions, limits: FixLimits,
                          inside: (Double, Double, Double, Double) -> Bool,
                          predict: (PixelRect, (width: Int, height: Int)?) -> [Finding],
                          acceptable: ([Finding]) -> Bool) -> Geometry? {
        var steps = steps
        let size = frame.size
        let aspect = Double(size.width) / Double(size.height)
        var h = Double(g.box.height) / 0.32
        let eyeFraction = 0.42
        switch options.fit {
        case .contain:
            let rect = PixelRect(x: Int((g.eyeMid.x - h * aspect / 2).rounded()), y: Int((g.eyeMid.y - eyeFraction * h).rounded()),
                                 width: max(1, Int((h * aspect).rounded())), height: max(1, Int(h.rounded())))
            let padded = rect.x < 0 || rect.y < 0 || Double(rect.x + rect.width) > W || Double(rect.y + rect.height) > H
            let findings = predict(rect, size)
            guard !findings.contains(where: { $0.severity == .error }) else { return nil }
            steps.append(.init(text: "crop shoulders-up around the face: \(rect.width)×\(rect.height) at (\(rect.x), \(rect.y))"
                               + (padded ? ", extending the photo's own edges beyond it" : ""), answers: []))
            return Geometry(turn: turn, crop: rect, pad: padded, steps: steps, predicted: findings)
        case .cover:
            h = min(h, H, W / aspect)
            while Double(g.box.height) / h <= 0.45 {
                let w = h * aspect
                for f in [0.42, 0.40, 0.44, 0.38, 0.46, 0.36, 0.48, 0.35, 0.5] {
                    for dx in [0, -0.02, 0.02, -0.04, 0.04] {
                        let x = g.eyeMid.x - w / 2 + dx * w, y = g.eyeMid.y - f * h
                        guard inside(x, y, w, h) else { continue }
                        let rect = PixelRect(x: Int(x.rounded()), y: Int(y.rounded()), width: max(1, Int(w.rounded())),
                                             height: max(1, Int(h.rounded())))
                        let findings = predict(rect, size)
                        if !findings.contains(where: { $0.severity == .error }) {
                            steps.append(.init(text: "crop shoulders-up around the face: \(rect.width)×\(rect.height) at (\(rect.x), \(rect.y))",
                                               answers: []))
                            return Geometry(turn: turn, crop: rect, pad: false, steps: steps, predicted: findings)
                        }
                    }
                }
                h *= 0.97
            }
            return nil
        }
    }

    /// A face as it sits in the photo levelled by `turn`: eyes turned exactly, the box kept in
    /// size about its turned centre (a detector finds a box of the same size on the levelled face).
    static func levelled(_ f: Face, by turn: FixPlan.Turn) -> Face {
        let a = -turn.degrees * Double.pi / 180
        func p(_ q: Point) -> Point {
            let dx = q.x - turn.cx, dy = q.y - turn.cy
            return Point(x: turn.cx + cos(a) * dx - sin(a) * dy, y: turn.cy + sin(a) * dx + cos(a) * dy)
        }
        let c = p(Point(x: f.box.centerX, y: f.box.centerY))
        let box = Box(x: Int((c.x - Double(f.box.width) / 2).rounded()), y: Int((c.y - Double(f.box.height) / 2).rounded()),
                      width: f.box.width, height: f.box.height)
        return Face(box: box, neighbors: f.neighbors, leftEye: f.leftEye.map(p), rightEye: f.rightEye.map(p))
    }
}
