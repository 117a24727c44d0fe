import FaceFinder

/// Machine-readable report, schema version 1 (documented in the README). Keys are sorted and
/// absent values are null, so the shape never depends on the photo.
public struct JSONReporter: Reporter {
    public init() {}

    public func render(_ report: RunReport) -> String {
        func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        func optional(_ n: Int?) -> JSONValue { n.map(JSONValue.integer) ?? .null }
        var summary: [String: JSONValue] = ["files": .integer(report.results.count), "skipped": .integer(report.skipped.count)]
        for v in Verdict.allCases { summary[v.rawValue] = .integer(report.count(v)) }
        let files: [JSONValue] = report.results.map { r in
            let h = r.header
            let sized = h.map { $0.format.isImage && $0.problem == nil } ?? false
            return [
                "path": .string(r.path),
                "path_base64": r.rawPath.map { .string($0.base64) } ?? .null,
                "format": optional(h?.format.rawValue),
                "width": optional(sized ? h?.displayWidth : nil),
                "height": optional(sized ? h?.displayHeight : nil),
                "bytes": optional(h?.byteCount),
                "verdict": .string(r.verdict.rawValue),
                "faces": r.faces.map { JSONValue.array($0.faces.map(Self.face)) } ?? .null,
                "findings": .array(r.findings.map { f in
                    [
                        "rule": .string(f.ruleID), "severity": .string(f.severity.rawValue), "message": .string(f.message),
                        "advice": optional(f.advice), "measured": optional(f.measured), "limit": optional(f.limit),
                        "fixable": .bool(f.fixable),
                    ]
                }),
            ]
        }
        let document: JSONValue = [
            "schema_version": 1,
            "tool": .string("preflight \(report.toolVersion)"),
            "profile": .string(report.profile),
            "strict": .bool(report.strict),
            "header_only": .bool(report.headerOnly),
            "summary": .object(summary),
            "files": .array(files),
            "skipped": .array(report.skipped.map { .string($0.path.display) }),
        ]
        return document.pretty() + "\n"
    }

    /// One accepted face: box and eyes in the displayed original's pixels (eyes null when not found).
    static func face(_ f: Face) -> JSONValue {
        func point(_ p: Point?) -> JSONValue {
            guard let p else { return .null }
            return ["x": .integer(Int(p.x.rounded())), "y": .integer(Int(p.y.rounded()))]
        }
        return [
            "x": .integer(f.box.x), "y": .integer(f.box.y), "width": .integer(f.box.width), "height": .integer(f.box.height),
            "left_eye": point(f.leftEye), "right_eye": point(f.rightEye),
        ]
    }
}
