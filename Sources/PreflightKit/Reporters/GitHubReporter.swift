/// GitHub Actions workflow commands: `::error file=…,title=…::message` per error or warning,
/// so findings show as annotations on the pull request. Info findings are left out.
public struct GitHubReporter: Reporter {
    public init() {}

    public func render(_ report: RunReport) -> String {
        var out = ""
        for r in report.results {
            for f in r.findings where f.severity != .info {
                let command = f.severity == .error || report.strict ? "error" : "warning"
                let text = f.message + (f.advice.map { " \($0)" } ?? "")
                out += "::\(command) file=\(property(r.path)),title=\(property("preflight \(f.ruleID)"))::\(data(text))\n"
            }
        }
        let n = report.results.count
        out += "preflight: \(n) file\(n == 1 ? "" : "s") checked with profile \(report.profile): "
        out += "\(report.count(.pass)) pass, \(report.count(.warn)) warn, \(report.count(.fixable)) fixable, \(report.count(.fail)) fail\n"
        return out
    }

    private func data(_ s: String) -> String {
        s.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
    }

    private func property(_ s: String) -> String {
        data(s).replacingAll(":", "%3A").replacingAll(",", "%2C")
    }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
