#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FaceFinder
import PhotoCodec
import CommandLineKit
import PreflightKit

/// `preflight fix PATH... --out DIR`
enum FixCommand {
    static func run(_ args: [String]) async throws(UsageError) -> ExitCode {
        let a = try Arguments(
            args, valueOptions: ["--out", "--profile", "--rules", "--frame", "--fit", "--max-bytes", "--quality-floor",
                                 "--format", "--jobs", "--report", "--cascades", "--max-upscale", "--background"],
            flagOptions: ["--dry-run", "--overwrite", "--help", "-h"])
        if a.flag("--help") || a.flag("-h") {
            Terminal.out(fixHelp)
            return .success
        }
        guard let outDir = a.value("--out") else { throw UsageError("fix needs --out DIR: originals are never changed") }
        guard !a.positional.isEmpty else { throw UsageError("fix needs at least one file or folder (see preflight help fix)") }
        let configuration = try loadConfiguration(a.value("--rules"))
        let profile = try selectProfile(configuration, a.value("--profile"))
        var options = FixOptions()
        options.frame = try a.choice("--frame", FixOptions.Frame.self) ?? .portrait
        options.fit = try a.choice("--fit", FixOptions.Fit.self) ?? .cover
        options.format = try a.choice("--format", FixOptions.Format.self) ?? .jpeg
        options.maxBytes = try a.integer("--max-bytes", minimum: 1)
        if let q = try a.integer("--quality-floor", minimum: 1) {
            guard q <= 95 else { throw UsageError("--quality-floor takes 1–95, not \(q)") }
            options.qualityFloor = q
        }
        if let text = a.value("--max-upscale") {
            guard let v = Double(text), v >= 1 else { throw UsageError("--max-upscale takes a number ≥ 1, not \"\(text)\"") }
            options.maxUpscale = v
        }
        if let text = a.value("--background") {
            let hex = text.hasPrefix("#") ? String(text.dropFirst()) : text
            guard hex.count == 6, let v = UInt32(hex, radix: 16) else {
                throw UsageError("--background takes a colour as RRGGBB (e.g. ffffff), not \"\(text)\"")
            }
            options.background = (UInt8(v >> 16), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF))
        }
        let jobs = try a.integer("--jobs", minimum: 1) ?? Terminal.processorCount
        let dryRun = a.flag("--dry-run"), overwrite = a.flag("--overwrite")

        let collected = try collectInputs(a.positional)
        let finder = try faceFinder(for: profile, cascades: a.value("--cascades"))
        let fixer = Fixer(checker: Checker(profile: profile, faceFinder: finder), finder: finder, options: options)
        // Outputs of an earlier run inside a folder being fixed (--out photos/fixed) are not inputs.
        let outReal = realPath(outDir)
        let nested = outReal.map { o in a.positional.contains { p in realPath(p).map { o.hasPrefix($0 + "/") } ?? false } } ?? false
        let inputs = collected.inputs.filter { input in
            guard nested, let outReal, let real = realPath(input.path) else { return true }
            return !real.hasPrefix(outReal + "/")
        }
        let ext = options.format == .jpeg ? "jpg" : "png"
        func outputPath(_ input: InputCollector.Input) -> String {
            var rel = input.relativePath
            if let dot = rel.lastIndex(of: "."), !rel[dot...].contains("/") { rel = String(rel[..<dot]) }
            return (outDir.hasSuffix("/") ? String(outDir.dropLast()) : outDir) + "/" + rel + "." + ext
        }
        // Two inputs must not write the same output (a.jpg and a.png both become a.jpg): the
        // first keeps the plain name, later ones keep their own extension too (a.png.jpg).
        var names: [String] = []
        var seen = Set<String>()
        for input in inputs {
            var out = outputPath(input)
            if seen.contains(out) {
                let base = (outDir.hasSuffix("/") ? String(outDir.dropLast()) : outDir) + "/" + input.relativePath
                out = base + "." + ext
                var n = 2
                while seen.contains(out) { out = base + "-\(n)." + ext; n += 1 }
            }
            seen.insert(out)
            names.append(out)
        }
        let outputs = names
        // An output must never be an original (--out pointing at the photos' own folder).
        for (input, out) in zip(inputs, outputs) {
            if let a = realPath(input.path), let b = realPath(out), a == b {
                throw UsageError("\(out) would replace the original \(input.displayPath): choose an --out folder apart from the photos")
            }
        }

        // A run that was killed may have left temporaries (never a partial output): clear them.
        if !dryRun {
            let stale = AtomicFile.removeStale(below: outDir.hasSuffix("/") ? String(outDir.dropLast()) : outDir)
            if stale > 0 { Terminal.err("preflight: removed \(stale) temporary file(s) an interrupted run left in \(outDir)\n") }
        }
        var failed = 0, written = 0, kept = 0
        var lines: [String] = []
        var results: [(FixResult, String?)] = []
        if options.frame == .square {
            Terminal.err("preflight: note: HeyGen renders video only as 16:9 or 9:16; a square frame will be letterboxed\n")
        }
        await runOrdered(count: inputs.count, width: jobs, work: { i -> (FixResult, String?) in
            let input = inputs[i]
            let out = outputs[i]
            guard let bytes = try? FileByteSource(path: input.path).readAll() else {
                let before = FileResult(path: input.displayPath, header: nil, findings: [])
                return (FixResult(path: input.displayPath, action: .unfixable, steps: [], reasons: ["the file cannot be read"],
                                  before: before, after: nil, output: nil), nil)
            }
            if !overwrite && !dryRun && access(out, F_OK) == 0 {
                return (FixResult(path: input.displayPath, action: .copy, steps: [], reasons: [],
                                  before: FileResult(path: input.displayPath, header: nil, findings: []), after: nil, output: nil),
                        "exists")
            }
            let result = fixer.fix(bytes: bytes, path: input.displayPath, outputPath: out)
            guard !dryRun, let output = result.output else { return (result, nil) }
            if let slash = out.lastIndex(of: "/") { AtomicFile.makeFolders(String(out[..<slash])) }
            do {
                try AtomicFile.write(output, to: out)
                return (result, nil)
            } catch {
                var r = result
                r.action = .unfixable
                r.reasons = ["cannot write \(out): \(error)"]
                return (r, nil)
            }
        }, emit: { i, pair in
            let (r, note) = pair
            let out = outputs[i]
            results.append(pair)
            var text = ""
            if note == "exists" {
                kept += 1
                text = "KEPT    \(r.path) → \(out) (exists; --overwrite replaces it)\n"
            } else {
                switch r.action {
                case .copy:
                    written += 1
                    text = "\(dryRun ? "WOULD COPY" : "COPIED ") \(r.path) → \(out) (already passes; byte for byte)\n"
                case .render:
                    written += 1
                    text = "\(dryRun ? "WOULD FIX" : "FIXED  ") \(r.path) → \(out)\n"
                    for s in r.steps { text += "    - \(s)\n" }
                    text += "    \(r.before.verdict.rawValue) → \(r.after?.verdict.rawValue ?? "?")"
                    let gone = r.before.findings.filter { f in f.severity > .info && !(r.after?.findings.contains { $0.ruleID == f.ruleID } ?? false) }
                    if !gone.isEmpty { text += " (repaired: \(Set(gone.map(\.ruleID)).sorted().joined(separator: ", ")))" }
                    text += "\n"
                    for (rule, was, now) in changes(r) { text += "      \(rule): \(was) → \(now)\n" }
                case .unfixable:
                    failed += 1
                    text = "UNFIXABLE \(r.path): no output\n"
                    for reason in r.reasons { text += "    ✗ \(reason)\n" }
                }
            }
            Terminal.out(text)
            lines.append(text)
        })
        let summary = "\n\(inputs.count) photos: \(written) \(dryRun ? "would be written" : "written"), \(kept) kept, \(failed) unfixable.\n"
        Terminal.out(summary)
        if let report = a.value("--report") {
            let body = report.hasSuffix(".json")
                ? jsonReport(results, outputs: outputs, profile: profile.name, dryRun: dryRun).pretty() + "\n"
                : lines.joined() + summary
            do { try AtomicFile.write(body, to: report) } catch { throw UsageError("cannot write the report: \(error)") }
        }
        return failed > 0 ? .failure : .success
    }

    /// Per rule with a warning or error before or after: (rule, before, after), "ok" for none.
    static func changes(_ r: FixResult) -> [(String, String, String)] {
        func worst(_ findings: [Finding]?, _ rule: String) -> String {
            (findings ?? []).filter { $0.ruleID == rule && $0.severity > .info }.map(\.severity).max()?.rawValue ?? "ok"
        }
        let rules = Set((r.before.findings + (r.after?.findings ?? [])).filter { $0.severity > .info }.map(\.ruleID)).sorted()
        return rules.map { ($0, worst(r.before.findings, $0), worst(r.after?.findings, $0)) }
    }

    /// The `--report FILE.json` document: per photo the action, output, steps, reasons and each
    /// rule's worst severity before and after.
    static func jsonReport(_ results: [(FixResult, String?)], outputs: [String], profile: String, dryRun: Bool) -> JSONValue {
        let files: [JSONValue] = results.enumerated().map { i, pair in
            let (r, note) = pair
            let action = note == "exists" ? "kept" : r.action.rawValue
            return [
                "path": .string(r.path),
                "action": .string(action),
                "output": r.output != nil || note == "exists" ? .string(outputs[i]) : .null,
                "steps": .array(r.steps.map(JSONValue.string)),
                "reasons": .array(r.reasons.map(JSONValue.string)),
                "before": .string(note == "exists" ? "unknown" : r.before.verdict.rawValue),
                "after": r.after.map { .string($0.verdict.rawValue) } ?? .null,
                "rules": .object(Dictionary(uniqueKeysWithValues: changes(r).map { rule, was, now in
                    (rule, ["before": .string(was), "after": .string(now)] as JSONValue)
                })),
            ]
        }
        return ["tool": .string("preflight \(toolVersion)"), "profile": .string(profile), "dry_run": .bool(dryRun),
                "files": .array(files)]
    }

    /// The canonical absolute path, or nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

}

let fixHelp = """
    usage: preflight fix PATH... --out DIR [options]

    Writes a fixed copy of every photo that can be made to pass; originals are never changed.
    Each output is re-checked with the same profile; a photo that would still fail gets no output.

      --out DIR             where outputs go (same relative paths; the extension follows --format)
      --profile NAME        profile to fix for (default: the rules file's default)
      --rules FILE          rules file (default: the built-in rules.json)
      --frame F             portrait (720×1280, default), landscape (1280×720), square (720×720), keep
      --fit F               cover (crop to the frame, default) or contain (pad instead of cutting)
      --max-bytes N         size budget (default: the profile's file_size.max_bytes)
      --quality-floor Q     lowest JPEG quality the budget search may use (default 70)
      --max-upscale X       most a crop may be enlarged to fill the frame (default 2)
      --format jpeg|png     output format (default jpeg)
      --background RRGGBB   colour transparent pixels are flattened onto (default ffffff)
      --dry-run             print what would change; write nothing
      --overwrite           replace outputs that already exist (default: keep them)
      --jobs N              photos in parallel (default: cores)
      --report FILE         also write the report to FILE (JSON when FILE ends in .json)
      --cascades DIR        folder with opencv-data's cascades

    Exit codes: 0 every photo passes or was fixed, 1 some photo could not be fixed, 2 usage error.

    """
