import CommandLineKit
import PhotoCodec
import PreflightKit

/// `preflight rules`: the rules, what they check, and the profile's settings.
enum RulesCommand {
    static func run(_ args: [FilePath]) throws(UsageError) -> ExitCode {
        let a = try Arguments(args, valueOptions: ["--profile", "--rules"], flagOptions: ["--schema", "--help", "-h"])
        if a.flag("--help") || a.flag("-h") {
            Terminal.out(rulesHelp)
            return .success
        }
        guard a.positional.isEmpty else { throw UsageError("rules takes no paths (got \(a.positional[0]))") }
        if a.flag("--schema") {
            Terminal.out(RulesSchema.json())
            return .success
        }
        let configuration = try loadConfiguration(a.path("--rules"))
        let profile = try selectProfile(configuration, a.value("--profile"))
        var out = "Profile \(profile.name)" + (profile.summary.isEmpty ? "" : ": \(profile.summary)") + "\n"
        out += "Profiles in \(configuration.source): \(configuration.profileNames.joined(separator: ", "))\n\n"
        for type in RuleRegistry.all {
            let d = type.description
            let settings = profile.rules[d.id]!
            out += "\(d.id) [\(settings.severity.rawValue)]\(d.needsPixels ? " (decodes pixels)" : "")\n"
            out += "    \(d.summary)\n"
            for option in d.options {
                var range = ""
                if case .integer(let low, let high) = option.kind { range = " (\(low)–\(high))" }
                out += "    \(option.key) = \(settings.options.values[option.key]!)    \(option.summary)\(range)\n"
            }
            out += wrap(d.rationale, indent: "    ") + "\n\n"
        }
        Terminal.out(out)
        return .success
    }

    static func wrap(_ text: String, indent: String, width: Int = 100) -> String {
        var lines: [String] = []
        var line = indent
        for word in text.split(separator: " ") {
            if line.count + word.count + 1 > width && line != indent {
                lines.append(line)
                line = indent
            }
            line += (line == indent ? "" : " ") + word
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}

