#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CommandLineKit
import PhotoCodec

/// Entry point: the only place that calls exit.
func main() async -> ExitCode {
    var args = Terminal.rawArguments()
    guard let first = args.first else {
        Terminal.err(generalHelp)
        return .usage
    }
    let command = first.display
    args.removeFirst()
    do {
        switch command {
        case "check": return try await CheckCommand.run(args)
        case "rules": return try RulesCommand.run(args)
        case "fix": return try await FixCommand.run(args)
        case "upload": return runUploadHelper(args)
        case "--version", "-V", "version":
            Terminal.out("preflight \(toolVersion)\n")
            return .success
        case "--help", "-h":
            Terminal.out(generalHelp)
            return .success
        case "help":
            switch args.first?.display {
            case "check": Terminal.out(checkHelp)
            case "rules": Terminal.out(rulesHelp)
            case "fix": Terminal.out(fixHelp)
            case "upload": return runUploadHelper(["--help"])
            default: Terminal.out(generalHelp)
            }
            return .success
        default:
            throw UsageError("unknown command \"\(command)\" (commands: check, fix, upload, rules; see preflight --help)")
        }
    } catch let error as UsageError {
        Terminal.err("preflight: \(error.message)\n")
        return .usage
    } catch let error as ReportWriteError {
        Terminal.err("preflight: \(error.message)\n")
        return .reportNotWritten
    } catch {
        Terminal.err("preflight: \(error)\n")
        return .usage
    }
}

/// `preflight upload` is the `preflight-upload` binary beside this one (it links Foundation's
/// networking, which would slow every `check` start-up): exec it with the same arguments.
func runUploadHelper(_ args: [FilePath]) -> ExitCode {
    var candidates: [String] = []
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if n > 0 {
        let me = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if let slash = me.lastIndex(of: "/") { candidates.append(String(me[..<slash]) + "/preflight-upload") }
    }
    if let override = Terminal.environment("PREFLIGHT_UPLOAD_HELPER") { candidates.insert(override, at: 0) }
    for path in candidates where access(path, X_OK) == 0 {
        let argv = ([FilePath(path)] + args).map { arg in arg.withCString { strdup($0) } } + [nil]
        execv(path, argv)
        Terminal.err("preflight: cannot run \(path) (errno \(errno))\n")
        return .usage
    }
    Terminal.err("preflight: upload needs the preflight-upload program next to preflight "
                 + "(swift build --product preflight-upload)\n")
    return .usage
}

let code = await main()
exit(code.rawValue)
