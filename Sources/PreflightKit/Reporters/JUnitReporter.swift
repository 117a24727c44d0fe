/// JUnit XML: one test case per file; errors (and warnings with --strict) are failures,
/// the other findings go to system-out. CI systems show it as a test report.
public struct JUnitReporter: Reporter {
    public init() {}

    public func render(_ report: RunReport) -> String {
        let failures = report.results.filter { $0.verdict.fails(strict: report.strict) }.count
        let suite = "preflight.\(report.profile)"
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"preflight\" tests=\"\(report.results.count)\" failures=\"\(failures)\" errors=\"0\">\n"
        out += "  <testsuite name=\"\(xml(suite))\" tests=\"\(report.results.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">\n"
        for r in report.results {
            out += "    <testcase classname=\"\(xml(suite))\" name=\"\(xml(r.path))\""
            let failing = r.findings.filter { $0.severity == .error || (report.strict && $0.severity == .warning) }
            let other = r.findings.filter { f in !failing.contains { $0 == f } }
            if failing.isEmpty && other.isEmpty {
                out += "/>\n"
                continue
            }
            out += ">\n"
            if !failing.isEmpty {
                let first = failing[0]
                let body = failing.map(line).joined(separator: "\n")
                out += "      <failure message=\"\(xml(first.ruleID + ": " + first.message))\" type=\"\(r.verdict.rawValue)\">\(xml(body))</failure>\n"
            }
            if !other.isEmpty {
                out += "      <system-out>\(xml(other.map(line).joined(separator: "\n")))</system-out>\n"
            }
            out += "    </testcase>\n"
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    private func line(_ f: Finding) -> String {
        "[\(f.severity.rawValue)] \(f.ruleID): \(f.message)" + (f.advice.map { " → \($0)" } ?? "")
    }
}

/// XML text/attribute escaping; control characters XML 1.0 forbids are dropped.
func xml(_ s: String) -> String {
    var out = ""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\n": out += "&#10;"
        case "\t", "\r": out.unicodeScalars.append(scalar)
        default:
            if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}
