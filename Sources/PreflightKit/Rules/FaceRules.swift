import FaceFinder

// The face and light rules. Each reads `PhotoFacts.faces` (nil when the pixels did not decode:
// the decode rule reports that) and stays silent on what another rule owns, so each defect is
// reported by its own rule. Thresholds are integers in rules.json (per cent, per mille, pixels).

private func percent(_ v: Double) -> String {
    let tenths = Int((v * 1000).rounded())
    return tenths % 10 == 0 ? "\(tenths / 10) %" : "\(tenths / 10).\(tenths % 10) %"
}

private func px(_ v: Double) -> String { "\(Int(v.rounded())) px" }

/// `face_count`: exactly one clear face.
public struct FaceCountRule: Rule {
    public static let description = RuleDescription(
        id: "face_count",
        summary: "Exactly one clear face: none, or a second significant face, fails.",
        rationale: """
            Talking-photo services animate one face. A second face whose area is over 25 % of the main \
            face's fails and over 10 % warns (OFIQ SingleFacePresent). Candidates are verified (both eyes \
            found, or strong cascade support) so curtains and patterns do not count.
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("second_face_warn_percent", .integer(minimum: 1, maximum: 100), default: .integer(10),
                       "Warn when another face's area is at least this share of the main face's."),
            OptionSpec("second_face_fail_percent", .integer(minimum: 1, maximum: 100), default: .integer(25),
                       "Fail when another face's area is at least this share of the main face's."),
        ],
        needsPixels: true, needsFaces: true)

    let warn: Double, fail: Double
    public init(options: RuleOptions) {
        warn = Double(options.integer("second_face_warn_percent")) / 100
        fail = Double(options.integer("second_face_fail_percent")) / 100
    }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        guard let a = facts.faces else { return [] }
        guard let main = a.main else {
            // A turned or tilted head is the frontal rule's finding, not "no face".
            if !a.scene.profiles.isEmpty || a.scene.rotatedFaceAngle != nil { return [] }
            return [finding(.error, "No face was found.",
                            advice: "Use a photo of one person facing the camera, face clearly visible and well lit.",
                            measured: "0 faces", limit: "1 face")]
        }
        let others = a.scene.faces.dropFirst().map { (box: $0.box, share: Double($0.box.area) / Double(max(1, main.box.area))) }
        guard let largest = others.max(by: { $0.share < $1.share }), largest.share >= warn else { return [] }
        let list = ([main.box] + others.map(\.box)).map { $0.description }.joined(separator: "; ")
        let severity: Severity = largest.share >= fail ? .error : .warning
        return [finding(severity, "\(a.scene.faces.count) faces were found (\(list)); the second largest is "
                            + "\(percent(largest.share)) of the main face's area.",
                        advice: "Use a photo with only the person who will be the avatar, or crop the others out.",
                        measured: "\(a.scene.faces.count) faces", limit: "1 face", fixable: false)]
    }
}

/// `face_size`: enough pixels on the face.
public struct FaceSizeRule: Rule {
    public static let description = RuleDescription(
        id: "face_size",
        summary: "The face box is at least 200×200 px in the original; eyes at least 70 px apart (warning).",
        rationale: """
            HeyGen asks for a face area over 200×200 px. OFIQ's InterEyeDistance measure centres at 70 px. \
            A small face cannot be enlarged without losing detail, so this is not fixable.
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("min_face_px", .integer(minimum: 1, maximum: 100_000), default: .integer(200), "Minimum face box side in original pixels."),
            OptionSpec("min_eye_distance_px", .integer(minimum: 0, maximum: 100_000), default: .integer(70),
                       "Warn when the eyes are closer than this many original pixels (0: off)."),
        ],
        needsPixels: true, needsFaces: true)

    let minFace: Int, minIED: Int
    public init(options: RuleOptions) {
        minFace = options.integer("min_face_px")
        minIED = options.integer("min_eye_distance_px")
    }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        guard let a = facts.faces, let g = a.geometry else { return [] }
        let side = min(g.box.width, g.box.height)
        if side < minFace {
            return [finding(.error, "The face is only \(g.box.width)×\(g.box.height) px; at least \(minFace)×\(minFace) px is needed.",
                            advice: "Move closer or use a higher-resolution original; enlarging adds no detail.",
                            measured: "\(g.box.width)×\(g.box.height)", limit: "≥ \(minFace)×\(minFace)")]
        }
        if minIED > 0, g.eyesFound, g.ied < Double(minIED) {
            return [finding(.warning, "The eyes are \(px(g.ied)) apart; \(minIED) px or more gives the animation enough detail.",
                            advice: "A closer or higher-resolution photo will animate more crisply.",
                            measured: px(g.ied), limit: "≥ \(minIED) px")]
        }
        return []
    }
}

/// `face_centered`: the face is near the horizontal centre.
public struct FaceCenteredRule: Rule {
    public static let description = RuleDescription(
        id: "face_centered",
        summary: "The face centre is near the image's horizontal centre.",
        rationale: """
            The services frame the avatar around the centre. Offsets under 5 % of the width pass, under 10 % \
            warn (an ICAO-style checker's limits); beyond fails. Cropping fixes it when there is room.
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("warn_percent", .integer(minimum: 0, maximum: 100), default: .integer(5), "Warn above this offset, in % of the width."),
            OptionSpec("fail_percent", .integer(minimum: 0, maximum: 100), default: .integer(10), "Fail above this offset, in % of the width."),
        ],
        needsPixels: true, needsFaces: true)

    let warn: Double, fail: Double
    public init(options: RuleOptions) {
        warn = Double(options.integer("warn_percent")) / 100
        fail = Double(options.integer("fail_percent")) / 100
    }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        guard let a = facts.faces, let g = a.geometry else { return [] }
        let w = Double(a.imageWidth)
        let offset = (g.eyeMid.x - w / 2) / w
        guard abs(offset) > warn else { return [] }
        // Cropping can centre it while keeping at least the face and a margin on the short side.
        let room = min(g.eyeMid.x, w - g.eyeMid.x)
        let fixable = room >= 2.5 * g.ied
        let side = offset < 0 ? "left" : "right"
        return [finding(abs(offset) > fail ? .error : .warning,
                        "The face is \(percent(abs(offset))) of the width \(side) of centre.",
                        advice: fixable ? "preflight fix can crop the photo around the face." : "Retake or crop with the face in the middle.",
                        measured: percent(abs(offset)), limit: "≤ \(percent(warn))", fixable: fixable)]
    }
}

/// `face_cut_off`: the whole head is inside the frame.
public struct FaceCutOffRule: Rule {
    public static let description = RuleDescription(
        id: "face_cut_off",
        summary: "The face and head are inside the frame with margins (in inter-eye distances).",
        rationale: """
            The top of the skull sits about one eye-to-chin distance (T) above the eyes, hair a little \
            more: eyes under 1.0·T below the top edge fail (the head is cut), under 1.2·T warn (too little \
            headroom; OFIQ's MarginAbove centres on 1.4·T). Sides: eye-to-edge under 0.9 inter-eye \
            distances fails (OFIQ Leftward/RightwardCrop), as does a face box reaching past an edge. A \
            cut-off head cannot be restored, so this is not fixable.
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("top_margin_t_percent", .integer(minimum: 0, maximum: 1000), default: .integer(100),
                       "Fail when the eyes are less than this many % of T below the top edge."),
            OptionSpec("warn_top_margin_t_percent", .integer(minimum: 0, maximum: 1000), default: .integer(120),
                       "Warn when the eyes are less than this many % of T below the top edge (little headroom)."),
            OptionSpec("side_margin_ied_percent", .integer(minimum: 0, maximum: 1000), default: .integer(90),
                       "Fail when an eye is less than this many % of the inter-eye distance from a side."),
        ],
        needsPixels: true, needsFaces: true)

    let top: Double, warnTop: Double, sideMargin: Double
    public init(options: RuleOptions) {
        top = Double(options.integer("top_margin_t_percent")) / 100
        warnTop = Double(options.integer("warn_top_margin_t_percent")) / 100
        sideMargin = Double(options.integer("side_margin_ied_percent")) / 100
    }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        guard let a = facts.faces, let g = a.geometry else { return [] }
        var cut: [String] = []
        if g.eyeMid.y < top * g.t { cut.append("the top of the head") }
        let left = g.eyeMid.x - g.ied / 2, right = Double(a.imageWidth) - (g.eyeMid.x + g.ied / 2)
        if left < sideMargin * g.ied || g.box.x <= 0 { cut.append("the left side") }
        if right < sideMargin * g.ied || g.box.maxX >= a.imageWidth { cut.append("the right side") }
        if g.chinY > Double(a.imageHeight) { cut.append("the chin") }
        guard !cut.isEmpty else {
            guard g.eyeMid.y < warnTop * g.t else { return [] }
            return [finding(.warning, "Little room above the head: the hair nearly touches the top edge.",
                            advice: "Leave some space above the head (about a tenth of the height).",
                            measured: "eyes \(px(g.eyeMid.y)) below the top, T = \(px(g.t))",
                            limit: "eyes ≥ \(percent(warnTop)) · T below the top")]
        }
        return [finding(.error, "The head is cut off: \(cut.joined(separator: ", ")) is outside the frame or too close to the edge.",
                        advice: "Use a photo with the whole head and some space around it.",
                        measured: "eyes \(px(g.eyeMid.y)) below the top, T = \(px(g.t))",
                        limit: "eyes ≥ \(percent(top)) · T below the top")]
    }
}

/// `framing`: shoulders-up.
public struct FramingRule: Rule {
    public static let description = RuleDescription(
        id: "framing",
        summary: "Shoulders-up framing: room below the chin for neck and shoulders; not a close-up; not a distant or full-body shot.",
        rationale: """
            OFIQ's MarginBelow fails under 1.8·T between the eyes and the bottom edge. HeyGen says side \
            profiles and full-body shots animate poorly: a face box under 17 % of the height (a waist-up \
            portrait has about 25 %, shoulders-up 30–35 %) fails, fixable by cropping when the face has \
            enough pixels; over 55 % is a close-up.
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("below_eyes_t_percent", .integer(minimum: 0, maximum: 1000), default: .integer(180),
                       "Fail when the bottom edge is less than this many % of T below the eyes."),
            OptionSpec("min_face_height_percent", .integer(minimum: 0, maximum: 100), default: .integer(17),
                       "Fail when the face box is shorter than this share of the image height."),
            OptionSpec("max_face_height_percent", .integer(minimum: 1, maximum: 100), default: .integer(55),
                       "Fail when the face box is taller than this share of the image height."),
        ],
        needsPixels: true, needsFaces: true)

    let below: Double, minShare: Double, maxShare: Double
    public init(options: RuleOptions) {
        below = Double(options.integer("below_eyes_t_percent")) / 100
        minShare = Double(options.integer("min_face_height_percent")) / 100
        maxShare = Double(options.integer("max_face_height_percent")) / 100
    }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        guard let a = facts.faces, let g = a.geometry else { return [] }
        let h = Double(a.imageHeight)
        let share = Double(g.box.height) / h
        if share < minShare {
            // Cropping to shoulders-up keeps the face ≥ ~30 % of the height; fine if the crop is ≥ 512 px.
            let fixable = Double(g.box.height) / 0.33 >= 512
            return [finding(.error, "The face is only \(percent(share)) of the image height: a distant or full-body shot.",
                            advice: fixable ? "preflight fix can crop to shoulders-up around the face."
                                : "Move closer: shoulders-up, the face about a third of the height.",
                            measured: percent(share), limit: "≥ \(percent(minShare))", fixable: fixable, kind: "distant")]
        }
        let room = h - g.eyeMid.y
        if share > maxShare || room < below * g.t {
            return [finding(.error, "A close-up: the face is \(percent(share)) of the height and the frame ends "
                                + "\(String(format1(room / g.t))) T below the eyes; neck and shoulders do not fit.",
                            advice: "Use a photo taken from further away, showing the shoulders.",
                            measured: "\(format1(room / g.t)) T below the eyes", limit: "≥ \(format1(below)) T", kind: "close_up")]
        }
        return []
    }
}

func format1(_ v: Double) -> String {
    let t = Int((v * 10).rounded())
    return "\(t / 10).\(abs(t % 10))"
}

/// `frontal`: facing the camera, head level.
public struct FrontalRule: Rule {
    public static let description = RuleDescription(
        id: "frontal",
        summary: "The face looks at the camera: eyes level (roll), head not turned (profile detector, eye geometry).",
        rationale: """
            Side profiles animate poorly (HeyGen). Roll over 8° warns and over 15° fails (ICAO checkers); a \
            level-able roll is fixable by rotating. A face found only by the profile cascade, or only after \
            rotating the image, is reported here rather than as "no face".
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("roll_warn_degrees", .integer(minimum: 0, maximum: 90), default: .integer(8), "Warn above this head roll."),
            OptionSpec("roll_fail_degrees", .integer(minimum: 0, maximum: 90), default: .integer(15), "Fail above this head roll."),
        ],
        needsPixels: true, needsFaces: true)

    let warn: Double, fail: Double
    public init(options: RuleOptions) {
        warn = Double(options.integer("roll_warn_degrees"))
        fail = Double(options.integer("roll_fail_degrees"))
    }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        guard let a = facts.faces else { return [] }
        guard let main = a.main else {
            if let angle = a.scene.rotatedFaceAngle {
                return [finding(.error, "The head is tilted by about \(Int(abs(angle)))°: a face is found only when the photo is rotated.",
                                advice: "preflight fix can rotate the photo level.", measured: "≈ \(Int(abs(angle)))°",
                                limit: "≤ \(Int(fail))°", fixable: true, kind: "rotated")]
            }
            if !a.scene.profiles.isEmpty {
                return [finding(.error, "The head is turned to the side: only a profile was found.",
                                advice: "Use a photo facing the camera.", measured: "profile", limit: "frontal")]
            }
            return []
        }
        if let roll = main.rollDegrees, abs(roll) > warn {
            return [finding(abs(roll) > fail ? .error : .warning,
                            "The eyes are not level: the head is tilted \(Int(abs(roll).rounded()))°.",
                            advice: "preflight fix can rotate the photo level.", measured: "\(Int(abs(roll).rounded()))°",
                            limit: "≤ \(Int(warn))°", fixable: true, kind: "roll")]
        }
        if let g = a.geometry, g.eyesFound {
            let yaw = (g.eyeMid.x - g.box.centerX) / g.ied
            if abs(yaw) > 0.3 {
                return [finding(.warning, "The head seems turned: the eyes sit off the face's centre line.",
                                advice: "Face the camera squarely.", measured: "\(format1(abs(yaw))) IED off centre",
                                limit: "≤ 0.3 IED")]
            }
        }
        return []
    }
}

/// `exposure`: the face is neither crushed nor blown out.
public struct ExposureRule: Rule {
    public static let description = RuleDescription(
        id: "exposure",
        summary: "The face is neither too dark (luma ≤ 30) nor blown out (luma ≥ 250).",
        rationale: """
            Over 40 % of face pixels at luma ≤ 30 fails, over 20 % warns (an ICAO-style checker); 2 % at ≥ 250 \
            fails, 0.5 % warns (OFIQ OverExposurePrevention). A mean far from mid-grey only warns: well-lit dark \
            skin must not fail (OFIQ issue #93).
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("dark_warn_percent", .integer(minimum: 0, maximum: 100), default: .integer(20), "Warn above this share of dark face pixels."),
            OptionSpec("dark_fail_percent", .integer(minimum: 0, maximum: 100), default: .integer(40), "Fail above this share of dark face pixels."),
            OptionSpec("clipped_warn_permille", .integer(minimum: 0, maximum: 1000), default: .integer(5), "Warn above this share (‰) of clipped face pixels."),
            OptionSpec("clipped_fail_permille", .integer(minimum: 0, maximum: 1000), default: .integer(20), "Fail above this share (‰) of clipped face pixels."),
        ],
        needsPixels: true, needsFaces: true)

    let darkWarn: Double, darkFail: Double, clipWarn: Double, clipFail: Double
    public init(options: RuleOptions) {
        darkWarn = Double(options.integer("dark_warn_percent")) / 100
        darkFail = Double(options.integer("dark_fail_percent")) / 100
        clipWarn = Double(options.integer("clipped_warn_permille")) / 1000
        clipFail = Double(options.integer("clipped_fail_permille")) / 1000
    }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        guard let m = facts.faces?.measures else { return [] }
        if m.darkShare > darkWarn {
            return [finding(m.darkShare > darkFail ? .error : .warning,
                            "The face is under-exposed: \(percent(m.darkShare)) of it is near black.",
                            advice: "Light the face from the front or raise the exposure, then retake.",
                            measured: "\(percent(m.darkShare)) dark", limit: "≤ \(percent(darkWarn))")]
        }
        if m.clippedShare > clipWarn {
            return [finding(m.clippedShare > clipFail ? .error : .warning,
                            "The face is over-exposed: \(percent(m.clippedShare)) of it is blown out to white.",
                            advice: "Lower the exposure or soften the light; blown-out skin has no detail to animate.",
                            measured: "\(percent(m.clippedShare)) clipped", limit: "≤ \(percent(clipWarn))")]
        }
        if m.meanLuma < 60 || m.meanLuma > 215 {
            return [finding(.warning, "The face's mean brightness is \(Int(m.meanLuma)) of 255, far from the usual range.",
                            advice: "Check that the face is evenly and adequately lit.", measured: "\(Int(m.meanLuma))",
                            limit: "60–215")]
        }
        return []
    }
}

/// `lighting_uniformity`: no one-sided shadow.
public struct LightingUniformityRule: Rule {
    public static let description = RuleDescription(
        id: "lighting_uniformity",
        summary: "Both sides of the face are lit alike (cheek histograms and face-half means).",
        rationale: """
            OFIQ IlluminationUniformity compares the two cheeks' histograms: intersection under 0.3 warns, \
            under 0.15 fails. An ICAO-style checker warns when the halves' means differ by over 12 %; that \
            flagged ordinary studio key light (the astronaut portrait measures 14 %), so this warns over 20 % \
            and fails over 30 %, or under 0.15 intersection with a difference over 20 %.
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("intersection_warn_percent", .integer(minimum: 0, maximum: 100), default: .integer(30), "Warn below this cheek-histogram intersection (%)."),
            OptionSpec("intersection_fail_percent", .integer(minimum: 0, maximum: 100), default: .integer(15), "Fail below this cheek-histogram intersection (%)."),
            OptionSpec("asymmetry_warn_percent", .integer(minimum: 0, maximum: 100), default: .integer(20), "Warn above this left/right mean difference (%)."),
            OptionSpec("asymmetry_fail_percent", .integer(minimum: 0, maximum: 100), default: .integer(30), "Fail above this left/right mean difference (%)."),
        ],
        needsPixels: true, needsFaces: true)

    let iWarn: Double, iFail: Double, aWarn: Double, aFail: Double
    public init(options: RuleOptions) {
        iWarn = Double(options.integer("intersection_warn_percent")) / 100
        iFail = Double(options.integer("intersection_fail_percent")) / 100
        aWarn = Double(options.integer("asymmetry_warn_percent")) / 100
        aFail = Double(options.integer("asymmetry_fail_percent")) / 100
    }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        guard let m = facts.faces?.measures else { return [] }
        // Under- and over-exposed faces are the exposure rule's; their halves are equally crushed.
        guard m.darkShare <= 0.4, m.clippedShare <= 0.02 else { return [] }
        let fail = m.cheekIntersection < iFail && m.halfAsymmetry > aWarn || m.halfAsymmetry > aFail
        let warn = m.cheekIntersection < iWarn || m.halfAsymmetry > aWarn
        guard fail || warn else { return [] }
        return [finding(fail ? .error : .warning,
                        "Uneven light: the \(m.darkerSide) side of the face is \(percent(m.halfAsymmetry)) darker "
                            + "(cheek histograms overlap \(percent(m.cheekIntersection))).",
                        advice: "Face the light or add a fill light or reflector on the shadowed side.",
                        measured: "\(percent(m.halfAsymmetry)) difference", limit: "≤ \(percent(aWarn))")]
    }
}

/// `sharpness`: the face is in focus.
public struct SharpnessRule: Rule {
    public static let description = RuleDescription(
        id: "sharpness",
        summary: "The face is in focus: variance of the Laplacian on the face resampled to a fixed width.",
        rationale: """
            The face is resampled to 96 px wide first so the measure does not depend on resolution (OFIQ aligns \
            faces the same way). ICAO checkers use 40–120 on their scale; these limits were calibrated on the \
            labelled set in Fixtures/eval: sharp faces measure 105–130 there, a radius-9 blur 8.
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("warn_below", .integer(minimum: 0, maximum: 1_000_000), default: .integer(60), "Warn below this Laplacian variance."),
            OptionSpec("fail_below", .integer(minimum: 0, maximum: 1_000_000), default: .integer(30), "Fail below this Laplacian variance."),
        ],
        needsPixels: true, needsFaces: true)

    let warn: Double, fail: Double
    public init(options: RuleOptions) {
        warn = Double(options.integer("warn_below"))
        fail = Double(options.integer("fail_below"))
    }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        // Dark or blown-out faces are the exposure rule's; tiny faces the face_size rule's.
        // One-sided shadow (lighting_uniformity's) skews the contrast normalisation too.
        guard let m = facts.faces?.measures, m.sharpnessReliable, m.darkShare <= 0.4, m.clippedShare <= 0.02,
              m.halfAsymmetry <= 0.3, m.sharpness < warn else { return [] }
        return [finding(m.sharpness < fail ? .error : .warning,
                        "The face is blurred (sharpness \(Int(m.sharpness.rounded()))).",
                        advice: "Retake in focus with a faster shutter; sharpening cannot restore lost detail.",
                        measured: "\(Int(m.sharpness.rounded()))", limit: "≥ \(Int(warn))")]
    }
}

/// `background`: a simple background.
public struct BackgroundRule: Rule {
    public static let description = RuleDescription(
        id: "background",
        summary: "A simple background: gradient energy outside the head-and-shoulders region (warning).",
        rationale: """
            The services ask for a simple background. OFIQ BackgroundUniformity measures the mean Sobel \
            magnitude on a ~350 px wide copy: warn above 50 here.
            """,
        defaultSeverity: .warning,
        options: [
            OptionSpec("warn_above", .integer(minimum: 0, maximum: 100_000), default: .integer(50), "Warn above this mean gradient magnitude."),
        ],
        needsPixels: true, needsFaces: true)

    let warn: Double
    public init(options: RuleOptions) { warn = Double(options.integer("warn_above")) }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        guard let c = facts.faces?.backgroundClutter, c > warn else { return [] }
        return [finding(.warning, "The background is busy (gradient energy \(Int(c.rounded()))).",
                        advice: "A plain wall or backdrop animates more cleanly.", measured: "\(Int(c.rounded()))",
                        limit: "≤ \(Int(warn))")]
    }
}

/// `colour`: colour photo without a strong cast.
public struct ColourRule: Rule {
    public static let description = RuleDescription(
        id: "colour",
        summary: "A colour photo without a strong colour cast on the face (warning).",
        rationale: """
            OFIQ NaturalColour flags unnatural face colour. A greyscale photo animates as greyscale. Skin of \
            every tone has red ≥ green ≥ blue in its mean; a face where green or blue dominates has a cast.
            """,
        defaultSeverity: .warning,
        options: [],
        needsPixels: true, needsFaces: true)

    public init(options: RuleOptions) {}

    public func check(_ facts: PhotoFacts) -> [Finding] {
        guard let a = facts.faces else { return [] }
        if a.isGreyscale {
            return [finding(.warning, "The photo is greyscale.", advice: "Use a colour photo if you have one.",
                            measured: "greyscale", limit: "colour")]
        }
        guard let m = a.measures else { return [] }
        let (r, g, b) = m.chroma
        if g > r * 1.05 || b > r * 1.05 || r > 0.62 {
            let cast = g > r * 1.05 ? "green" : b > r * 1.05 ? "blue" : "red"
            return [finding(.warning, "The face has a strong \(cast) colour cast.",
                            advice: "Correct the white balance before uploading.",
                            measured: "r \(format1(r * 100)) %, g \(format1(g * 100)) %, b \(format1(b * 100)) %",
                            limit: "natural skin colour")]
        }
        return []
    }
}
