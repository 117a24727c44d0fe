#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CommandLineKit
import PhotoCodec
import PreflightKit

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
// Diagnostics for the memory tests: the process's own peak resident set (VmHWM), which a parent
// that spawned it with vfork semantics cannot measure (exec records the parent's peak as well).
if let path = Terminal.environment("PREFLIGHT_PEAK_RSS_FILE") {
    // /proc files report a size of 0: read until the end.
    var status: [UInt8] = []
    let fd = open("/proc/self/status", O_RDONLY)
    if fd >= 0 {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if n <= 0 { break }
            status += buffer[0..<n]
        }
        close(fd)
    }
    if let line = String(decoding: status, as: UTF8.self).split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) {
        try? AtomicFile.write(line.filter(\.isNumber) + "\n", to: path)
    }
}
exit(code.rawValue)
