/// `orientation`: the pixels are stored upright (EXIF orientation 1 or none).
public struct OrientationRule: Rule {
    public static let description = RuleDescription(
        id: "orientation",
        summary: "The pixels are stored upright, not rotated by an EXIF orientation tag.",
        rationale: """
            Phones store portrait photos sideways with an EXIF tag saying how to turn them. Pipelines that \
            ignore or strip the tag without rotating the pixels show the face sideways, which no avatar \
            service can animate. Baking the rotation into the pixels is safe everywhere.
            """,
        defaultSeverity: .warning,
        options: [],
        needsPixels: false)

    public init(options: RuleOptions) {}

    public func check(_ facts: PhotoFacts) -> [Finding] {
        let h = facts.header
        if let bad = h.invalidOrientationValue {
            return [finding(.info, "The EXIF orientation value \(bad) is not valid (1–8); it is treated as 1 (upright).",
                            advice: "preflight fix removes the bad tag.", measured: "\(bad)", limit: "1–8", fixable: true)]
        }
        guard h.orientation != .up else { return [] }
        return [finding(.error, "EXIF orientation \(h.orientation.rawValue) says to \(h.orientation.instruction) "
                            + "for display; services that ignore EXIF will show this photo "
                            + (h.orientation.swapsDimensions ? "sideways." : "upside down or mirrored."),
                        advice: "preflight fix rotates the pixels upright and removes the tag.",
                        measured: "\(h.orientation.rawValue)", limit: "1", fixable: true)]
    }
}
