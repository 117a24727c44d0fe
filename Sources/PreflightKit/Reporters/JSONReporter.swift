import Foundation

/// Machine-readable report, schema version 1 (documented in the README). Keys are sorted and
/// absent values are null, so the shape never depends on the photo.
public struct JSONReporter: Reporter {
    public init() {}

    struct Document: Encodable {
        var schema_version = 1
        var tool: String
        var profile: String
        var strict: Bool
        var header_only: Bool
        var summary: [String: Int]
        var files: [File]
        var skipped: [String]
    }

    struct File: Encodable {
        var path: String
        var format: String?
        var width: Int?
        var height: Int?
        var bytes: Int?
        var verdict: String
        var findings: [Item]

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(path, forKey: .path)
            try c.encode(format, forKey: .format)
            try c.encode(width, forKey: .width)
            try c.encode(height, forKey: .height)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(verdict, forKey: .verdict)
            try c.encode(findings, forKey: .findings)
        }
        enum CodingKeys: String, CodingKey { case path, format, width, height, bytes, verdict, findings }
    }

    struct Item: Encodable {
        var rule: String
        var severity: String
        var message: String
        var advice: String?
        var measured: String?
        var limit: String?
        var fixable: Bool

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(rule, forKey: .rule)
            try c.encode(severity, forKey: .severity)
            try c.encode(message, forKey: .message)
            try c.encode(advice, forKey: .advice)
            try c.encode(measured, forKey: .measured)
            try c.encode(limit, forKey: .limit)
            try c.encode(fixable, forKey: .fixable)
        }
        enum CodingKeys: String, CodingKey { case rule, severity, message, advice, measured, limit, fixable }
    }

    public func render(_ report: RunReport) -> String {
        var summary: [String: Int] = ["files": report.results.count, "skipped": report.skipped.count]
        for v in Verdict.allCases { summary[v.rawValue] = report.count(v) }
        let files = report.results.map { r in
            let h = r.header
            let sized = h.map { $0.format.isImage && $0.problem == nil } ?? false
            return File(path: r.path, format: h?.format.rawValue, width: sized ? h?.displayWidth : nil,
                        height: sized ? h?.displayHeight : nil, bytes: h?.byteCount, verdict: r.verdict.rawValue,
                        findings: r.findings.map {
                            Item(rule: $0.ruleID, severity: $0.severity.rawValue, message: $0.message, advice: $0.advice,
                                 measured: $0.measured, limit: $0.limit, fixable: $0.fixable)
                        })
        }
        let doc = Document(tool: "preflight \(report.toolVersion)", profile: report.profile, strict: report.strict,
                           header_only: report.headerOnly, summary: summary, files: files, skipped: report.skipped)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(doc)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
