/// `resolution`: the displayed image is at least the service's minimum size.
public struct ResolutionRule: Rule {
    public static let description = RuleDescription(
        id: "resolution",
        summary: "The photo, as displayed (after EXIF rotation), meets the minimum width and height.",
        rationale: """
            HeyGen asks for at least 512×512 pixels; Avatar IV renders 720p frames, so a short side of 720 \
            or more avoids upscaling. Enlarging a small photo adds no detail, so this cannot be fixed.
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("min_width", .integer(minimum: 1, maximum: 1_000_000), default: .integer(512), "Minimum displayed width in pixels."),
            OptionSpec("min_height", .integer(minimum: 1, maximum: 1_000_000), default: .integer(512), "Minimum displayed height in pixels."),
            OptionSpec("recommended_short_side", .integer(minimum: 0, maximum: 1_000_000), default: .integer(0),
                       "Warn when the short side is below this (0: no recommendation)."),
        ],
        needsPixels: false)

    let minWidth: Int, minHeight: Int, recommended: Int
    public init(options: RuleOptions) {
        minWidth = options.integer("min_width")
        minHeight = options.integer("min_height")
        recommended = options.integer("recommended_short_side")
    }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        guard facts.header.format.isImage, facts.header.problem == nil, let (w, h) = facts.displaySize else { return [] }
        let measured = "\(w)×\(h)"
        let rotated = facts.header.orientation.swapsDimensions ? " (as displayed after EXIF rotation)" : ""
        if w < minWidth || h < minHeight {
            let which = w < minWidth && h < minHeight ? "both sides are" : w < minWidth ? "the width is" : "the height is"
            return [finding(.error, "\(measured) pixels\(rotated) is below the minimum of \(minWidth)×\(minHeight): "
                                + "\(which) too small.",
                            advice: "Use a larger original; enlarging adds no detail and the avatar would look soft.",
                            measured: measured, limit: "≥ \(minWidth)×\(minHeight)")]
        }
        if recommended > 0 && min(w, h) < recommended {
            return [finding(.warning, "The short side is \(min(w, h)) px\(rotated); \(recommended) px or more is "
                                + "recommended for this profile, or the service will upscale it.",
                            advice: "Use a larger original if you have one.",
                            measured: measured, limit: "short side ≥ \(recommended)")]
        }
        return []
    }
}
