/// The human report: one line per file with its verdict, then its findings with advice, then a summary.
public struct TextReporter: Reporter {
    public var color: Bool
    /// Only files that do not pass, and the summary.
    public var quiet: Bool

    public init(color: Bool = false, quiet: Bool = false) {
        self.color = color
        self.quiet = quiet
    }

    public func render(_ report: RunReport) -> String {
        var out = ""
        for result in report.results { out += file(result) }
        out += summary(report)
        return out
    }

    /// The lines for one file ("" when quiet and it passes).
    public func file(_ r: FileResult) -> String {
        if quiet && r.verdict == .pass { return "" }
        let label: String
        switch r.verdict {
        case .pass: label = paint("PASS   ", "32")
        case .warn: label = paint("WARN   ", "33")
        case .fixable: label = paint("FIXABLE", "36")
        case .fail: label = paint("FAIL   ", "31")
        }
        var line = "\(label) \(r.path)"
        if let h = r.header {
            var facts: [String] = [h.format == .empty ? "empty" : h.format.displayName]
            if h.format.isImage, h.problem == nil, let w = h.displayWidth, let hh = h.displayHeight { facts.append("\(w)×\(hh)") }
            facts.append(Units.bytes(h.byteCount))
            line += "  (" + facts.joined(separator: ", ") + ")"
        }
        var out = line + "\n"
        for f in r.findings {
            let mark: String
            switch f.severity {
            case .error: mark = paint("✗ error  ", "31")
            case .warning: mark = paint("! warning", "33")
            case .info: mark = paint("i info   ", "2")
            }
            out += "    \(mark) \(f.ruleID): \(f.message)\(f.fixable && f.severity != .info ? " [fixable]" : "")\n"
            if let advice = f.advice, f.severity != .info || !quiet { out += "              → \(advice)\n" }
        }
        return out
    }

    public func summary(_ report: RunReport) -> String {
        let n = report.results.count
        var parts = ["\(report.count(.pass)) pass", "\(report.count(.warn)) warn", "\(report.count(.fixable)) fixable",
                     "\(report.count(.fail)) fail"]
        if report.strict { parts[1] += " (failing: --strict)" }
        var out = "\n\(n) file\(n == 1 ? "" : "s") checked with profile \(report.profile): " + parts.joined(separator: ", ") + "."
        let notPhotos = report.skipped.filter { $0.reason == .notAPhoto }.count
        if notPhotos > 0 {
            out += " \(notPhotos) file\(notPhotos == 1 ? "" : "s") skipped (not photos)."
        }
        let others = report.skipped.filter { $0.reason != .notAPhoto }
        if !others.isEmpty {
            out += " \(others.count) other entr\(others.count == 1 ? "y" : "ies") skipped:"
            for s in others { out += "\n    skipped \(s.path.display): \(s.reason.text)" }
        }
        if report.headerOnly { out += " Header-only: pixel data was not decoded, so damaged image data would not show." }
        out += "\n"
        if report.count(.fixable) > 0 {
            out += "FIXABLE files fail now, but every error in them is one an automatic fix can repair (rotation, re-encoding, metadata).\n"
        }
        return out
    }

    private func paint(_ s: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s
    }
}
