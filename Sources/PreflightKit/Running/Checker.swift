import PhotoCodec

/// The result of checking one file.
public struct FileResult: Sendable {
    /// The path as the user sees it (as given, or relative below a given folder).
    public var path: String
    /// The header, when the file could be read.
    public var header: PhotoHeader?
    public var findings: [Finding]
    public var verdict: Verdict

    public init(path: String, header: PhotoHeader?, findings: [Finding]) {
        self.path = path
        self.header = header
        self.findings = findings
        self.verdict = Verdict(findings: findings)
    }
}

/// Checks single files against one profile: probe → (decode) → rules → capped findings.
public struct Checker: Sendable {
    public let profile: Profile
    /// Read headers only: nothing is decoded, and rules that need pixels judge what the header
    /// tells (the decode rule still refuses damaged headers and over-limit sizes).
    public let headerOnly: Bool
    private let rules: [(rule: any Rule, ceiling: Severity)]
    private let maxPixels: Int
    private let needsPixels: Bool

    public init(profile: Profile, headerOnly: Bool = false) {
        self.profile = profile
        self.headerOnly = headerOnly
        rules = profile.activeRules().compactMap { entry in
            guard let ceiling = entry.severity.ceiling else { return nil }
            return (entry.rule, ceiling)
        }
        needsPixels = !headerOnly && rules.contains { type(of: $0.rule).description.needsPixels }
        // The pixel limit protects every decode, even when the decode rule is off.
        maxPixels = profile.rules[DecodeRule.description.id]?.options.values["max_pixels"].flatMap {
            if case .integer(let n) = $0 { n } else { nil }
        } ?? 200_000_000
    }

    /// Checks the file at `path`, reported as `displayPath`. Never throws: an unreadable file is a finding.
    public func check(path: String, displayPath: String) -> FileResult {
        let source: FileByteSource
        let header: PhotoHeader
        do {
            source = try FileByteSource(path: path)
            var probing = source
            header = try Probe.header(of: &probing)
        } catch {
            return FileResult(path: displayPath, header: nil, findings: [
                Finding(ruleID: "read", severity: .error, message: "The file cannot be read: \(error.reason).",
                        advice: "Check that it exists and that you may read it."),
            ])
        }
        var facts = PhotoFacts(path: displayPath, header: header)
        if shouldDecode(header) {
            do {
                let bytes = try source.readAll()
                facts.pixels = decode(bytes, header: header)
            } catch {
                return FileResult(path: displayPath, header: header, findings: [
                    Finding(ruleID: "read", severity: .error, message: "The file cannot be read: \(error.reason).",
                            advice: "Check the disk and that the file is not being written."),
                ])
            }
        }
        return FileResult(path: displayPath, header: header, findings: evaluate(facts))
    }

    /// Runs the rules on facts already gathered (tests drive this with in-memory files).
    public func evaluate(_ facts: PhotoFacts) -> [Finding] {
        var findings: [Finding] = []
        for (rule, ceiling) in rules {
            for var finding in rule.check(facts) {
                finding.severity = min(finding.severity, ceiling)
                findings.append(finding)
            }
        }
        return findings
    }

    /// Pixels are decoded only when a rule needs them and the header is sound and within the limit.
    private func shouldDecode(_ header: PhotoHeader) -> Bool {
        needsPixels && header.format.isDecodable && header.problem == nil && (header.pixelCount ?? 0) <= maxPixels
    }

    /// Decodes for the active rules (integrity only, for now: the smallest DCT scale).
    public func decode(_ bytes: [UInt8], header: PhotoHeader) -> PhotoFacts.PixelOutcome {
        do {
            return .decoded(try PhotoDecoder.decode(bytes, header: header, minimumLongSide: 1, maxPixels: maxPixels))
        } catch {
            return .failed(error)
        }
    }

    /// Checks bytes held in memory, as if they were a file named `path`.
    public func check(bytes: [UInt8], path: String) -> FileResult {
        let header = Probe.header(of: bytes)
        var facts = PhotoFacts(path: path, header: header)
        if shouldDecode(header) {
            facts.pixels = decode(bytes, header: header)
        }
        return FileResult(path: path, header: header, findings: evaluate(facts))
    }
}
