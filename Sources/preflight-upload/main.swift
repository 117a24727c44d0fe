#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CommandLineKit

/// `preflight upload` (run by `preflight`, or directly): the only place that calls exit.
func main() async -> ExitCode {
    do {
        return try await UploadCommand.run(Terminal.rawArguments())
    } catch {
        Terminal.err("preflight: \(error.message)\n")
        return .usage
    }
}

// Writes to a server that went away must be errors, not a silent death.
signal(SIGPIPE, SIG_IGN)
let code = await main()
exit(code.rawValue)
