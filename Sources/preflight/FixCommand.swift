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
    static func run(_ args: [FilePath]) async throws -> ExitCode {
        let a = try Arguments(
            args, valueOptions: ["--out", "--profile", "--rules", "--frame", "--fit", "--max-bytes", "--quality-floor",
                                 "--format", "--jobs", "--report", "--cascades", "--models", "--detector", "--max-upscale", "--background", "--memory-limit"],
            flagOptions: ["--dry-run", "--overwrite", "--help", "-h"])
        if a.flag("--help") || a.flag("-h") {
            Terminal.out(fixHelp)
            return .success
        }
        guard let outDir = a.path("--out")?.withoutTrailingSlash else { throw UsageError("fix needs --out DIR: originals are never changed") }
        guard !a.positionalPaths.isEmpty else { throw UsageError("fix needs at least one file or folder (see preflight help fix)") }
        let configuration = try loadConfiguration(a.path("--rules"))
        var profile = try selectProfile(configuration, a.value("--profile"))
        var options = FixOptions()
        if let frame = a.value("--frame"), frame != "keep" {
            options.frame = try a.choice("--frame", FixOptions.Frame.self)
        }
        options.fit = try a.choice("--fit", FixOptions.Fit.self) ?? .cover
        options.format = try a.choice("--format", FixOptions.Format.self)
        options.maxBytes = try a.integer("--max-bytes", in: OptionRange.maxBytes)
        // The budget is also what the check measures: a photo over it has a file_size finding.
        if let maxBytes = options.maxBytes { profile = profile.limitingFileSize(to: maxBytes) }
        if let q = try a.integer("--quality-floor", in: OptionRange.qualityFloor) { options.qualityFloor = q }
        if let v = try a.number("--max-upscale", in: OptionRange.maxUpscale) { options.maxUpscale = v }
        if let text = a.value("--background") {
            let hex = text.hasPrefix("#") ? String(text.dropFirst()) : text
            guard hex.count == 6, hex.allSatisfy(\.isHexDigit), let v = UInt32(hex, radix: 16) else {
                throw UsageError("--background takes a colour as RRGGBB (e.g. ffffff), not \"\(printable(text))\"")
            }
            options.background = (UInt8(v >> 16), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF))
        }
        let jobs = try a.integer("--jobs", in: OptionRange.jobs) ?? Terminal.processorCount
        let memory = try memoryBudget(a)
        let dryRun = a.flag("--dry-run"), overwrite = a.flag("--overwrite")

        let collected = try collectInputs(a.positionalPaths)
        let finder = try faceFinder(for: profile, cascades: a.value("--cascades"), models: a.value("--models"), detector: a.value("--detector"))
        let fixer = Fixer(checker: Checker(profile: profile, faceFinder: finder, memory: memory), options: options)
        // Outputs of an earlier run inside a folder being fixed (--out photos/fixed) are not inputs.
        let outReal = realPath(outDir)
        func inside(_ path: FilePath, _ folder: FilePath) -> Bool { path.bytes.starts(with: folder.bytes + [0x2F]) }
        let nested = outReal.map { o in a.positionalPaths.contains { p in realPath(p).map { inside(o, $0) } ?? false } } ?? false
        let inputs = collected.inputs.filter { input in
            guard nested, let outReal, let real = realPath(input.path) else { return true }
            return !inside(real, outReal)
        }
        let protected = ProtectedFiles(inputs: inputs.map(\.path))
        // Each output is named for its format (known from the header: the photo's own when the
        // profile accepts it). Two inputs must not write the same output (a.png and a.webp both
        // become a.png): the first keeps the plain name, later ones keep their own extension too.
        var names: [FilePath] = []
        var seen = Set<FilePath>()
        for input in inputs {
            var format = ImageFormat.jpeg
            if let file = try? FileByteSource(path: input.path) {
                var probing = file
                if let header = try? Probe.header(of: &probing) { format = fixer.outputFormat(header) }
            }
            let ext = format == .png ? "png" : "jpg"
            // A .jpeg stays .jpeg; any other name takes the format's usual extension.
            let own = input.relativePath.lossyString.split(separator: ".").last.map { $0.lowercased() } ?? ""
            let keepsOwn = format.extensions.contains(own)
            var out = keepsOwn ? input.relativePath : input.relativePath.replacingExtension(with: ext)
            if seen.contains(out) {
                out = FilePath(bytes: input.relativePath.bytes + Array(".\(ext)".utf8))
                var n = 2
                while seen.contains(out) { out = FilePath(bytes: input.relativePath.bytes + Array("-\(n).\(ext)".utf8)); n += 1 }
            }
            seen.insert(out)
            names.append(out)
        }
        let relatives = names
        let outputs = relatives.map { outDir.appending($0) }

        // The output folder: writes only below it, never through a link, never onto a protected file.
        let folder: OutputFolder?
        do {
            var info = stat()
            let exists = outDir.withCString { stat($0, &info) } == 0
            folder = dryRun && !exists ? nil : try OutputFolder(root: outDir, protecting: protected, create: !dryRun)
        } catch {
            throw UsageError(error.message)
        }
        // An output must never replace an original: refused before anything is done.
        for (input, (relative, out)) in zip(inputs, zip(relatives, outputs)) {
            guard let why = folder?.refusal(relative, replace: true) else { continue }
            let onInput = realPath(input.path) != nil && realPath(input.path) == realPath(out)
            if overwrite || onInput {
                throw UsageError("\(out.display) would replace the original (\(why)): choose an --out folder apart from the photos")
            }
        }

        // A run that was killed may have left temporaries (never a partial output): clear them.
        if !dryRun, let folder {
            let stale = folder.removeStaleTemporaries()
            if stale > 0 { Terminal.err("preflight: removed \(stale) temporary file(s) an interrupted run left in \(outDir.display)\n") }
        }
        var failed = 0, written = 0, kept = 0
        var lines: [String] = []
        var results: [(FixResult, String?)] = []
        if options.frame == .square {
            Terminal.err("preflight: note: HeyGen renders video only as 16:9 or 9:16; a square frame will be letterboxed\n")
        }
        await runOrdered(count: inputs.count, width: jobs, work: { i -> (FixResult, String?) in
            let input = inputs[i]
            let out = outputs[i].display
            func unfixable(_ reason: String) -> (FixResult, String?) {
                let before = FileResult(path: input.displayPath, header: nil, findings: [])
                return (FixResult(path: input.displayPath, action: .unfixable, steps: [], reasons: [reason],
                                  before: before, after: nil, output: nil), nil)
            }
            guard let file = try? FileByteSource(path: input.path) else { return unfixable("the file cannot be read") }
            if !overwrite && !dryRun && folder?.exists(relatives[i]) == true {
                return (FixResult(path: input.displayPath, action: .copy, steps: [], reasons: [],
                                  before: FileResult(path: input.displayPath, header: nil, findings: []), after: nil, output: nil),
                        "exists")
            }
            // The check (which holds its own share of the memory budget while it decodes), the
            // plan made from it, then the plan executed while holding what it needs.
            var before = fixer.checker.check(path: input.path, displayPath: input.displayPath)
            if !input.path.isPlainText { before.rawPath = input.path }
            let plan = fixer.plan(before)
            guard let header = before.header else { return unfixable("the file cannot be read") }
            guard let budget = fixer.memoryPlan(plan, file: file, header: header, limit: memory.limit) else {
                return (FixResult(path: input.displayPath, action: .unfixable, steps: plan.steps.map(\.description),
                                  reasons: ["fixing this \(header.displayWidth ?? 0)×\(header.displayHeight ?? 0) photo this way would need "
                                            + "more memory than the limit of \(Units.memory(memory.limit)) (raise --memory-limit)"],
                                  before: before, after: nil, output: nil), nil)
            }
            let result = memory.withReservation(budget.bytes) {
                fixer.execute(plan, before: before, source: .file(file), outputPath: out, loadScale: budget.scale)
            }
            guard !dryRun, let output = result.output, let folder else { return (result, nil) }
            do {
                switch try folder.write(output, to: relatives[i], replace: overwrite) {
                case .written: return (result, nil)
                case .kept:
                    return (FixResult(path: input.displayPath, action: .copy, steps: [], reasons: [],
                                      before: result.before, after: nil, output: nil), "exists")
                }
            } catch {
                var r = result
                r.action = .unfixable
                r.reasons = ["\(error)"]
                r.output = nil
                return (r, nil)
            }
        }, emit: { i, pair in
            let (r, note) = pair
            let out = outputs[i].display
            results.append(pair)
            var text = ""
            if note == "exists" {
                kept += 1
                text = "KEPT    \(r.path) → \(out) (exists; --overwrite replaces it)\n"
            } else {
                switch r.action {
                case .copy:
                    written += 1
                    text = "\(dryRun ? "WOULD COPY" : "COPIED ") \(r.path) → \(out) ("
                        + (r.steps.isEmpty ? "nothing to fix; " : "") + "byte for byte)\n"
                    for s in r.steps { text += "    - \(s)\n" }
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
        if let report = a.path("--report") {
            let body = report.lossyString.hasSuffix(".json")
                ? jsonReport(results, outputs: outputs.map(\.display), profile: profile.name, dryRun: dryRun).pretty() + "\n"
                : lines.joined() + summary
            try writeReport(body, to: report, protecting: protected)
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
    static func realPath(_ path: FilePath) -> FilePath? {
        guard let p = path.withCString({ realpath($0, nil) }) else { return nil }
        defer { free(p) }
        return FilePath(cString: p)
    }

}

let fixHelp = """
    usage: preflight fix PATH... --out DIR [options]

    Writes a fixed copy of every photo that can be made to pass; originals are never changed.
    Only what the findings ask for changes: turned upright (losslessly for most JPEGs), converted,
    metadata dropped, brought under the size budget at full resolution (the JPEG requantised, not
    shrunk), re-centred with the least crop. A photo that passes is copied byte for byte. Each
    output is re-checked with the same profile; a photo that would still fail gets no output.

      --out DIR             where outputs go (same relative paths; the extension follows --format)
      --profile NAME        profile to fix for (default: the rules file's default)
      --rules FILE          rules file (default: the built-in rules.json)
      --frame F             re-frame to an Avatar IV frame: portrait (720×1280), landscape (1280×720) or
                            square (720×720), a shoulders-up crop around the face. Without it the
                            photo keeps its own frame and only what the findings ask for changes.
      --fit F               with --frame: cover (crop to the frame, default) or contain (extend the
                            photo's own edges instead of cutting)
      --max-bytes N         size budget (1–1000000000; default: the profile's file_size.max_bytes);
                            photos over it have a file_size finding and are made to fit
      --quality-floor Q     lowest JPEG quality the budget search may use (1–95; default 70)
      --max-upscale X       most the pixels may be enlarged (1–16; default 1, never, without --frame;
                            2 with it); every enlargement is named in the steps
      --format jpeg|png     output format (default: the photo's own when the profile accepts it;
                            a PNG over the size budget becomes a JPEG)
      --background RRGGBB   colour transparent pixels are flattened onto (default ffffff)
      --dry-run             print what would change; write nothing
      --overwrite           replace outputs that already exist (default: keep them)
      --jobs N              photos in parallel (1–1024; default: cores)
      --memory-limit MB     memory decodes may hold at once, all workers together (64–1048576 MiB;
                            default 192): a large photo waits for others, or is decoded shrunk
      --report FILE         also write the report to FILE (JSON when FILE ends in .json)
      --cascades DIR        folder with opencv-data's cascades

    Exit codes: 0 every photo passes or was fixed, 1 some photo could not be fixed, 2 usage error.

    """
