import FaceFinder
import CommandLineKit
import PhotoCodec
import PreflightKit

/// `preflight check PATH...`
enum CheckCommand {
    static func run(_ args: [FilePath]) async throws -> ExitCode {
        let a = try Arguments(
            args, valueOptions: ["--profile", "--rules", "--format", "--output", "--jobs", "--cascades", "--models", "--detector", "--debug-dir", "--memory-limit"],
            flagOptions: ["--strict", "--quiet", "--header-only", "--no-progress", "--help", "-h"])
        if a.flag("--help") || a.flag("-h") {
            Terminal.out(checkHelp)
            return .success
        }
        let configuration = try loadConfiguration(a.path("--rules"))
        let profile = try selectProfile(configuration, a.value("--profile"))
        let format = try a.choice("--format", OutputFormat.self) ?? .text
        let jobs = try a.integer("--jobs", in: OptionRange.jobs) ?? Terminal.processorCount
        let memory = try memoryBudget(a)
        let output = a.path("--output")
        let strict = a.flag("--strict"), quiet = a.flag("--quiet"), headerOnly = a.flag("--header-only")
        guard !a.positionalPaths.isEmpty else { throw UsageError("check needs at least one file or folder (see preflight help check)") }

        let collected = try collectInputs(a.positionalPaths)
        if collected.inputs.isEmpty {
            Terminal.err("preflight: no photos found in \(a.positional.joined(separator: ", "))"
                         + (collected.skipped.isEmpty ? "" : " (\(collected.skipped.count) other files skipped)") + "\n")
        }

        // Face rules need the cascade files: parsed once here, shared by every worker. Missing
        // data is a setup error (exit 2), never a silent skip of the face rules.
        let finder = try faceFinder(for: profile, headerOnly: headerOnly, cascades: a.value("--cascades"), models: a.value("--models"), detector: a.value("--detector"),
                                    hint: "Or turn the face rules off in a rules file, or use --header-only.")
        let inputs = collected.inputs
        let protected = ProtectedFiles(inputs: inputs.map(\.path))
        var debugFolder: OutputFolder?
        if let debugDir = a.path("--debug-dir") {
            do {
                debugFolder = try OutputFolder(root: debugDir, protecting: protected)
            } catch {
                throw UsageError("cannot use the debug folder: \(error)")
            }
        }
        if let output, let why = protected.refusal(replacing: output) {
            throw UsageError("--output \(output.display) would replace a photo: \(why)")
        }
        let checker = Checker(profile: profile, headerOnly: headerOnly, faceFinder: finder, debugFolder: debugFolder, memory: memory)
        let streaming = format == .text && output == nil
        let text = TextReporter(color: output == nil && Terminal.colorAllowed, quiet: quiet)
        let progress = !a.flag("--no-progress") && Terminal.stderrIsTTY && inputs.count >= 20
        // Streamed lines go out at once on a terminal, in 64 KiB blocks into a pipe or file.
        var pendingOutput = ""
        let flushEachLine = Terminal.stdoutIsTTY
        var results: [FileResult] = []
        results.reserveCapacity(inputs.count)
        await runOrdered(count: inputs.count, width: jobs, work: { i in
            checker.check(path: inputs[i].path)
        }, emit: { i, result in
            if progress { Terminal.err("\r\u{1B}[K") }
            if streaming {
                pendingOutput += text.file(result)
                if flushEachLine || pendingOutput.utf8.count >= 65_536 {
                    Terminal.out(pendingOutput)
                    pendingOutput = ""
                }
            }
            if progress { Terminal.err("[\(i + 1)/\(inputs.count)] \(result.path)") }
            results.append(result)
        })
        if progress { Terminal.err("\r\u{1B}[K") }

        let report = RunReport(toolVersion: toolVersion, profile: profile.name, results: results,
                               skipped: collected.skipped, strict: strict, headerOnly: headerOnly)
        if streaming {
            Terminal.out(pendingOutput + text.summary(report))
        } else {
            let rendered = format.reporter(color: false, quiet: quiet).render(report)
            if let output {
                try writeReport(rendered, to: output, protecting: protected)
                Terminal.out(TextReporter(color: false).summary(report))
            } else {
                Terminal.out(rendered)
            }
        }
        return report.failed ? .failure : .success
    }
}
