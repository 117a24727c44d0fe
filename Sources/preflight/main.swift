#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Entry point: the only place that calls exit.
func main() async -> ExitCode {
    var args = Array(CommandLine.arguments.dropFirst())
    guard let command = args.first else {
        Terminal.err(generalHelp)
        return .usage
    }
    args.removeFirst()
    do {
        switch command {
        case "check": return try await CheckCommand.run(args)
        case "rules": return try RulesCommand.run(args)
        case "fix": return try await FixCommand.run(args)
        case "--version", "-V", "version":
            Terminal.out("preflight \(toolVersion)\n")
            return .success
        case "--help", "-h":
            Terminal.out(generalHelp)
            return .success
        case "help":
            switch args.first {
            case "check": Terminal.out(checkHelp)
            case "rules": Terminal.out(rulesHelp)
            case "fix": Terminal.out(fixHelp)
            default: Terminal.out(generalHelp)
            }
            return .success
        default:
            throw UsageError("unknown command \"\(command)\" (commands: check, fix, rules; see preflight --help)")
        }
    } catch let error as UsageError {
        Terminal.err("preflight: \(error.message)\n")
        return .usage
    } catch {
        Terminal.err("preflight: \(error)\n")
        return .usage
    }
}

let code = await main()
exit(code.rawValue)
