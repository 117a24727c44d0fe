import FaceFinder
import PhotoCodec

/// The result of checking one file.
public struct FileResult: Sendable {
    /// The path as the user sees it (as given, or relative below a given folder).
    public var path: String
    /// The header, when the file could be read.
    public var header: PhotoHeader?
    public var findings: [Finding]
    public var verdict: Verdict
    /// What face analysis found, in the displayed original's pixels (nil when it did not run).
    public var faces: FaceScene?

    public init(path: String, header: PhotoHeader?, findings: [Finding], faces: FaceScene? = nil) {
        self.path = path
        self.header = header
        self.findings = findings
        self.verdict = Verdict(findings: findings)
        self.faces = faces
    }
}

/// Checks single files against one profile: probe → (decode) → rules → capped findings.
public struct Checker: Sendable {
    public let profile: Profile
    /// Read headers only: nothing is decoded, and rules that need pixels judge what the header
    /// tells (the decode rule still refuses damaged headers and over-limit sizes).
    public let headerOnly: Bool
    private let rules: [(rule: any Rule, ceiling: Severity)]
    let maxPixels: Int
    private let needsPixels: Bool
    /// Some active rule reads the face analysis (and this is not a header-only run): the caller
    /// must supply a `FaceFinder`, or those rules see no analysis and stay silent.
    public let needsFaces: Bool
    private let faceFinder: FaceFinder?
    /// Where annotated debug PNGs go (nil: none).
    public let debugDirectory: String?

    public init(profile: Profile, headerOnly: Bool = false, faceFinder: FaceFinder? = nil, debugDirectory: String? = nil) {
        self.profile = profile
        self.debugDirectory = debugDirectory
        self.headerOnly = headerOnly
        self.faceFinder = faceFinder
        rules = profile.activeRules().compactMap { entry in
            guard let ceiling = entry.severity.ceiling else { return nil }
            return (entry.rule, ceiling)
        }
        needsFaces = !headerOnly && rules.contains { type(of: $0.rule).description.needsFaces }
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
                let (analysis, raster) = analyseFaces(facts)
                facts.faces = analysis
                if let debugDirectory, let analysis, let raster {
                    let result = FileResult(path: displayPath, header: header, findings: evaluate(facts), faces: analysis.scene)
                    DebugImage.write(raster, analysis: analysis, result: result, directory: debugDirectory)
                    return result
                }
            } catch {
                return FileResult(path: displayPath, header: header, findings: [
                    Finding(ruleID: "read", severity: .error, message: "The file cannot be read: \(error.reason).",
                            advice: "Check the disk and that the file is not being written."),
                ])
            }
        }
        return FileResult(path: displayPath, header: header, findings: evaluate(facts), faces: facts.faces?.scene)
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

    /// Decodes for the active rules: at the smallest DCT scale for integrity alone, at about
    /// 480–640 px on the long side when faces are analysed.
    public func decode(_ bytes: [UInt8], header: PhotoHeader) -> PhotoFacts.PixelOutcome {
        let longSide = needsFaces && faceFinder != nil ? FaceAnalyzer.minimumLongSide : 1
        do {
            return .decoded(try PhotoDecoder.decode(bytes, header: header, minimumLongSide: longSide, maxPixels: maxPixels))
        } catch {
            return .failed(error)
        }
    }

    /// The face analysis of decoded, intact-enough pixels. Truncated or damaged data is not
    /// analysed: the decode rule already fails it, and a grey or garbled part would only add
    /// misleading face findings ("no face", "cut off").
    func analyseFaces(_ facts: PhotoFacts) -> (FaceAnalysis?, Raster?) {
        guard needsFaces, let finder = faceFinder, case .decoded(let d) = facts.pixels,
              let w = facts.header.displayWidth, let h = facts.header.displayHeight else { return (nil, nil) }
        switch d.integrity {
        case .truncated, .damaged: return (nil, nil)
        case .intact, .quirk: break
        }
        let (analysis, raster) = FaceAnalyzer.analyseKeepingRaster(d.raster, displayWidth: w, displayHeight: h, finder: finder)
        return (analysis, raster)
    }

    /// Checks bytes held in memory, as if they were a file named `path`.
    public func check(bytes: [UInt8], path: String) -> FileResult {
        let header = Probe.header(of: bytes)
        var facts = PhotoFacts(path: path, header: header)
        if shouldDecode(header) {
            facts.pixels = decode(bytes, header: header)
            facts.faces = analyseFaces(facts).0
        }
        return FileResult(path: path, header: header, findings: evaluate(facts), faces: facts.faces?.scene)
    }
}
