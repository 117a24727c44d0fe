import PhotoCodec

/// `decode`: the pixels decode completely, within the pixel limit.
public struct DecodeRule: Rule {
    public static let description = RuleDescription(
        id: "decode",
        summary: "The image decodes completely: no damaged or truncated data, not too many pixels.",
        rationale: """
            A truncated JPEG still opens in most viewers (libjpeg only warns "Premature end of JPEG file" \
            and fills the rest with grey), so it passes a glance and fails on the service. The pixel limit \
            refuses decompression bombs from the header before any memory is allocated; 200 megapixels \
            admits the largest phone sensors (16320×12240).
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("max_pixels", .integer(minimum: 1, maximum: 1_000_000_000_000), default: .integer(200_000_000),
                       "Largest width × height decoded; larger files are refused from their header."),
        ],
        needsPixels: true)

    let maxPixels: Int
    public init(options: RuleOptions) { maxPixels = options.integer("max_pixels") }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        let h = facts.header
        guard h.format.isDecodable else { return [] }
        let name = h.format.displayName
        if let problem = h.problem {
            return [finding(.error, "The \(name) header is damaged: \(problem).",
                            advice: "Copy, download or export the photo again from the original.")]
        }
        if let count = h.pixelCount, count > maxPixels {
            return [tooLarge(h)]
        }
        switch facts.pixels {
        case .notDecoded: return []
        case .failed(let error):
            switch error.kind {
            case .tooLarge: return [tooLarge(h)]
            case .unsupported:
                return [finding(.error, "The \(name) uses a feature that cannot be decoded: \(error.message).",
                                advice: "Export it again as an ordinary 8-bit \(name).")]
            case .outOfMemory:
                return [finding(.error, "Not enough memory to decode this \(name): \(error.message).",
                                advice: "Check fewer files at once (--jobs 1) or resize the photo.")]
            case .overMemoryLimit:
                return [finding(.error, "This \(name) was not decoded: \(error.message). A photo of this kind is a "
                                    + "decompression bomb or a very large scan.",
                                advice: "Save it again smaller (or as a baseline JPEG), or raise --memory-limit if you trust the file.")]
            case .truncated:
                return [truncated(error.message, h)]
            case .corrupt:
                return [finding(.error, "The \(name) data is damaged and cannot be decoded (\(error.message)).",
                                advice: "Copy, download or export the photo again from the original.")]
            }
        case .decoded(let decoded):
            switch decoded.integrity {
            case .intact: return []
            case .truncated(let text):
                return [truncated(text, h)]
            case .damaged(let text):
                return [finding(.error, "The \(name) data is damaged (\(text)); parts of the image are garbage.",
                                advice: "Copy, download or export the photo again from the original.")]
            case .quirk(let text):
                return [finding(.info, "The \(name) decoded with a minor irregularity: \(text).",
                                advice: "Usually harmless; preflight fix writes a clean file.", fixable: true)]
            }
        }
    }

    private func truncated(_ text: String, _ h: PhotoHeader) -> Finding {
        finding(.error, "The file is truncated: the \(h.format.displayName) data ends early (\(text)), "
                    + "so the bottom of the image is missing or grey.",
                advice: "The copy or download was cut short: fetch the original again.",
                measured: "\(h.byteCount) bytes")
    }

    private func tooLarge(_ h: PhotoHeader) -> Finding {
        let count = h.pixelCount ?? 0
        let mp = count / 1_000_000
        return finding(.error, "\(h.width ?? 0)×\(h.height ?? 0) is \(Units.grouped(count)) pixels (\(mp) MP), "
                           + "more than the limit of \(Units.grouped(maxPixels)); refused without decoding "
                           + "(a decompression bomb, or an oversized scan).",
                       advice: "Resize it below the limit, or raise decode.max_pixels in rules.json if you trust the file.",
                       measured: "\(count) pixels", limit: "≤ \(maxPixels) pixels")
    }
}
