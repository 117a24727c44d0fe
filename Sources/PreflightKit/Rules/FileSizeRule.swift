/// `file_size`: the file is within the service's upload limit.
public struct FileSizeRule: Rule {
    public static let description = RuleDescription(
        id: "file_size",
        summary: "The file is no larger than the upload limit.",
        rationale: """
            HeyGen's photo-avatar guides say "under 10 MB" (its newer asset API takes 32 MB); D-ID and \
            Telnyx also cap at 10 MB. Sizes are decimal: 10 MB = 10,000,000 bytes. A re-encode at \
            quality 85–90 brings a phone photo far below the limit without visible change.
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("max_bytes", .integer(minimum: 1, maximum: 1_000_000_000_000), default: .integer(10_000_000), "Largest file size in bytes."),
        ],
        needsPixels: false)

    let maxBytes: Int
    public init(options: RuleOptions) { maxBytes = options.integer("max_bytes") }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        let n = facts.header.byteCount
        guard n > maxBytes else { return [] }
        let decodable = facts.header.format.isDecodable && facts.header.problem == nil
        return [finding(.error, "\(Units.bytes(n)) (\(Units.grouped(n)) bytes) is over the limit of "
                            + "\(Units.bytes(maxBytes)) (\(Units.grouped(maxBytes)) bytes).",
                        advice: decodable ? "preflight fix re-encodes it under the limit; or export at JPEG quality 85–90."
                                          : "Export a smaller JPEG.",
                        measured: "\(n) bytes", limit: "≤ \(maxBytes) bytes", fixable: decodable)]
    }
}
