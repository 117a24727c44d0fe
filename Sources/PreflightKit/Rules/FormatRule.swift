import PhotoCodec

/// `format`: the file is a JPEG or PNG by content, named as what it is, and in a form the
/// services handle well (still, RGB, 8-bit, opaque).
public struct FormatRule: Rule {
    public static let description = RuleDescription(
        id: "format",
        summary: "The file is a JPEG or PNG by its content, still, RGB, 8-bit and opaque.",
        rationale: """
            HeyGen, Azure, D-ID and their peers accept JPEG and PNG only, and read the type from the \
            content or the Content-Type. Files named .jpg that are really WebP, HEIC or a saved HTML page \
            are the most common upload failure. CMYK JPEGs show with wrong or inverted colours in most \
            web pipelines; alpha shows as black or white; APNG animations are cut to the first frame.
            """,
        defaultSeverity: .error,
        options: [
            OptionSpec("accepted", .formats, default: .formats([.jpeg, .png]), "Formats the service accepts."),
            OptionSpec("extension_mismatch", .severity, default: .severity(.warning),
                       "A JPEG/PNG whose file name says another format (e.g. a PNG named .jpg)."),
            OptionSpec("animated", .severity, default: .severity(.warning), "Animated PNG (APNG): only the first frame is used."),
            OptionSpec("cmyk", .severity, default: .severity(.error), "CMYK or YCCK JPEG."),
            OptionSpec("high_bit_depth", .severity, default: .severity(.warning), "16-bit PNG (or 12-bit JPEG)."),
            OptionSpec("alpha", .severity, default: .severity(.warning), "Transparency in a PNG."),
            OptionSpec("jpeg_coding", .severity, default: .severity(.error),
                       "Arithmetic-coded or lossless JPEG, which browsers and most services cannot decode."),
        ],
        needsPixels: false)

    let options: RuleOptions
    public init(options: RuleOptions) { self.options = options }

    public func check(_ facts: PhotoFacts) -> [Finding] {
        let h = facts.header
        let accepted = options.formats("accepted")
        let acceptedNames = accepted.map(\.displayName).joined(separator: " or ")
        let ext = facts.fileExtension
        guard accepted.contains(h.format) else {
            if h.format.isDecodable {
                return [finding(.error, "This is a \(h.format.displayName) file; the profile accepts \(acceptedNames) only.",
                                advice: "preflight fix converts it to \(accepted.first?.displayName ?? "JPEG").",
                                measured: h.format.rawValue, limit: accepted.map(\.rawValue).joined(separator: "|"),
                                fixable: !accepted.filter(\.isDecodable).isEmpty, kind: "accepted")]
            }
            let claimed = ImageFormat.claimed(byExtension: ext)
            let what = claimed != nil && claimed != h.format
                ? "This file is named .\(ext) but is \(h.format.descriptionWithArticle)"
                : "This file is \(h.format.descriptionWithArticle)"
            return [finding(.error, "\(what), not a \(acceptedNames) photo.",
                            advice: advice(for: h.format, accepted: acceptedNames),
                            measured: h.format.rawValue, limit: accepted.map(\.rawValue).joined(separator: "|"))]
        }
        var findings: [Finding] = []
        func add(_ option: String, _ message: String, advice: String, measured: String? = nil, fixable: Bool = true) {
            guard let severity = options.severity(option).ceiling else { return }
            findings.append(finding(severity, message, advice: advice, measured: measured, fixable: fixable, kind: option))
        }
        if let claimed = ImageFormat.claimed(byExtension: ext), claimed != h.format,
            !(claimed.isDecodable && h.format.isDecodable && claimed == h.format)
        {
            add("extension_mismatch", "This is a \(h.format.displayName) file named .\(ext).",
                advice: "Rename it to .\(h.format.extensions[0]) (preflight fix writes the right extension); "
                    + "uploaders that trust the name send the wrong Content-Type.",
                measured: h.format.rawValue)
        }
        if h.isAnimated {
            let frames = h.frameCount.map { " with \($0) frames" } ?? ""
            add("animated", "This is an animated PNG\(frames); avatar services use only the first frame.",
                advice: "preflight fix writes the first frame as a still image.", measured: "\(h.frameCount ?? 0) frames")
        }
        if h.colorModel == .cmyk || h.colorModel == .ycck {
            add("cmyk", "This JPEG stores \(h.colorModel == .ycck ? "YCCK" : "CMYK") (print) colour; "
                    + "web pipelines and avatar services often show it with wrong or inverted colours.",
                advice: "preflight fix converts it to sRGB; or export it from your editor as an RGB JPEG.",
                measured: h.colorModel?.rawValue)
        }
        if let depth = h.bitDepth, depth > 8 {
            let decodable = h.format == .png
            add("high_bit_depth", "This \(h.format.displayName) uses \(depth) bits per sample; "
                    + (decodable ? "services reduce it to 8 bits, so the file is larger than it needs to be."
                                 : "most decoders, browsers included, cannot read \(depth)-bit JPEGs."),
                advice: decodable ? "preflight fix writes an 8-bit copy." : "Export it again as an 8-bit JPEG.",
                measured: "\(depth) bits", fixable: decodable)
        }
        if h.hasAlpha {
            var alphaUsed: Bool?
            if case .decoded(let d) = facts.pixels { alphaUsed = d.alphaUsed }
            if alphaUsed == false {
                findings.append(finding(.info, "This PNG has an alpha channel, but every pixel is opaque.",
                                        advice: "Nothing to do; preflight fix drops the unused channel.", fixable: true,
                                        kind: "unused_alpha"))
            } else {
                add("alpha", alphaUsed == true
                        ? "This PNG has transparent pixels; services show transparency as black or white."
                        : "This PNG has an alpha channel (transparency not measured in header-only mode).",
                    advice: "preflight fix flattens it onto a plain background; or export without transparency.")
            }
        }
        if h.format == .jpeg && (h.isArithmeticCoded || h.isLosslessJPEG) {
            let what = h.isLosslessJPEG ? "lossless-process" : "arithmetic-coded"
            add("jpeg_coding", "This JPEG is \(what), which browsers and most services cannot decode.",
                advice: h.isLosslessJPEG ? "Export it again as an ordinary (baseline) JPEG."
                                         : "preflight fix re-encodes it as a baseline JPEG.",
                measured: what, fixable: !h.isLosslessJPEG)
        }
        return findings
    }

    private func advice(for format: ImageFormat, accepted: String) -> String {
        switch format {
        case .empty: "The file has no content: the download or copy failed. Fetch the photo again."
        case .html, .xml, .text:
            "This is not a photo: often a saved web page, an error page or a failed download. Replace it with the real image."
        case .pdf, .svg: "Export the picture from it as a \(accepted) photo."
        case .unknown: "The content matches no image format: the file may be damaged or encrypted. Use the original."
        default: "Convert it to \(accepted) (e.g. `magick photo.\(format.extensions.first ?? "img") photo.jpg`) and check again."
        }
    }
}
