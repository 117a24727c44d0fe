import FaceFinder
import PhotoCodec

/// The result of checking one file.
public struct FileResult: Sendable {
    /// The path as the user sees it (as given, or below a given folder), for display.
    public var path: String
    /// The path's bytes, when `path` is not the path itself (a name that is not UTF-8, or holds
    /// control characters, is shown escaped).
    public var rawPath: FilePath?
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
    public let debugFolder: OutputFolder?
    /// Memory shared with the other workers: each check reserves what its decode and analysis
    /// will hold before it allocates (`check(path:)`; `check(bytes:)` leaves that to its caller).
    public let memory: MemoryBudget
    /// The profile's limits as the fix planner reads them.
    let fixLimits: FixLimits

    public init(profile: Profile, headerOnly: Bool = false, faceFinder: FaceFinder? = nil, debugFolder: OutputFolder? = nil,
                memory: MemoryBudget = .unlimited) {
        self.profile = profile
        self.debugFolder = debugFolder
        self.memory = memory
        self.headerOnly = headerOnly
        self.faceFinder = faceFinder
        fixLimits = FixLimits(profile: profile)
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

    /// Checks the file at `path`. Never throws: an unreadable file is a finding.
    public func check(path: FilePath) -> FileResult {
        var result = check(path: path, displayPath: path.display)
        if !path.isPlainText { result.rawPath = path }
        return result
    }

    /// Checks the file at `path`, reported as `displayPath`. Never throws: an unreadable file is a
    /// finding. The file is never read whole: the header is probed from its first bytes and the
    /// decoder reads the rest itself, in blocks.
    public func check(path: FilePath, displayPath: String) -> FileResult {
        markFixable(unplanned(path: path, displayPath: displayPath))
    }

    /// Marks each finding fixable exactly when the fix planner, with the default options,
    /// answers it and can write an output: `check` and `fix` agree by construction.
    func markFixable(_ result: FileResult) -> FileResult {
        guard result.findings.contains(where: { $0.severity >= .warning }) else { return result }
        let plan = FixPlanner.plan(result, limits: fixLimits, options: FixOptions())
        var r = result
        for i in r.findings.indices where r.findings[i].severity >= .warning {
            r.findings[i].fixable = plan.writes && plan.answered.contains(i)
            // Advice that promises a fix the planner cannot make would mislead: say why instead.
            if !r.findings[i].fixable, r.findings[i].advice?.hasPrefix("preflight fix") == true, let why = plan.unfixable.first {
                r.findings[i].advice = "preflight fix cannot repair this photo (\(why))."
            }
        }
        r.verdict = Verdict(findings: r.findings)
        return r
    }

    private func unplanned(path: FilePath, displayPath: String) -> FileResult {
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
        guard shouldDecode(header) else {
            return FileResult(path: displayPath, header: header, findings: evaluate(facts), faces: nil)
        }
        let encoded = EncodedSource.file(source)
        return withinBudget(encoded, header: header, facts: &facts) { facts in
            facts.pixels = decode(encoded, header: header)
            let (analysis, raster) = analyseFaces(facts)
            facts.faces = analysis
            let result = FileResult(path: displayPath, header: header, findings: evaluate(facts), faces: analysis?.scene)
            if let debugFolder, let analysis, let raster {
                DebugImage.write(raster, analysis: analysis, result: result, folder: debugFolder)
            }
            return result
        }
    }

    /// Runs `body` holding the memory this photo's decode and analysis will need, or — when that
    /// is more than the whole budget — returns the photo's findings with a decode failure saying so.
    private func withinBudget(_ encoded: EncodedSource, header: PhotoHeader, facts: inout PhotoFacts,
                              _ body: (inout PhotoFacts) -> FileResult) -> FileResult {
        let needed: Int
        do {
            needed = try cost(encoded, header: header)
        } catch {
            facts.pixels = .failed(error)
            return FileResult(path: facts.path, header: header, findings: evaluate(facts), faces: nil)
        }
        guard memory.fits(needed) else {
            facts.pixels = .failed(CodecError(.overMemoryLimit, "decoding and analysing it would hold about "
                                              + "\(Units.memory(needed)), more than the memory limit of \(Units.memory(memory.limit))"))
            return FileResult(path: facts.path, header: header, findings: evaluate(facts), faces: nil)
        }
        var local = facts
        return memory.withReservation(needed) { body(&local) }
    }

    /// What a decode for the active rules and its analysis will hold, in bytes.
    public func cost(_ encoded: EncodedSource, header: PhotoHeader) throws(CodecError) -> Int {
        let decode = try PhotoDecoder.cost(encoded, header: header, minimumLongSide: analysisLongSide)
        guard needsFaces && faceFinder != nil else { return decode }
        // The analysis shrinks the decoded pixels to at most 640 px on the long side and works on
        // that copy: grey copies, summed-area tables, pyramid levels, turned copies for the
        // fallbacks. 40 bytes an analysed pixel and 8 MB cover them with room to spare: a whole
        // check of a 4032×3024 headshot peaks 7–9 MB above a header-only run, this says 18 MB.
        let longSide = max(header.width ?? 0, header.height ?? 0)
        let scale = PhotoDecoder.scale(forLongSide: longSide, minimumLongSide: analysisLongSide)
        let pixels = ((header.width ?? 0) + scale - 1) / scale * (((header.height ?? 0) + scale - 1) / scale)
        let side = FaceAnalyzer.maximumLongSide
        return decode + min(pixels, side * side) * 40 + (8 << 20)
    }

    /// The long side the analysis decode keeps: ~480 px for faces, as small as possible for integrity.
    private var analysisLongSide: Int { needsFaces && faceFinder != nil ? FaceAnalyzer.minimumLongSide : 1 }

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

    /// Decodes for the active rules: at the smallest scale for integrity alone, at about 480–640 px
    /// on the long side when faces are analysed. JPEG data is fed to libjpeg in small pieces so
    /// that corrupt Huffman codes are reported (`JPEGCodec.decode(strictHuffman:)`).
    public func decode(_ encoded: EncodedSource, header: PhotoHeader) -> PhotoFacts.PixelOutcome {
        do {
            return .decoded(try PhotoDecoder.decode(encoded, header: header, minimumLongSide: analysisLongSide, maxPixels: maxPixels,
                                                    maxWorkingBytes: memory.limit == Int.max ? 0 : memory.limit, strict: true))
        } catch {
            return .failed(error)
        }
    }

    public func decode(_ bytes: [UInt8], header: PhotoHeader) -> PhotoFacts.PixelOutcome {
        decode(.memory(bytes), header: header)
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
        return markFixable(FileResult(path: path, header: header, findings: evaluate(facts), faces: facts.faces?.scene))
    }
}
