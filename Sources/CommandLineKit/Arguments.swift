/// A small hand-written parser: `--name value`, `--name=value`, flags, and positional arguments
/// (everything after `--` is positional).
public struct Arguments {
    public private(set) var positional: [String] = []
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    /// `valueOptions` take a value; `flagOptions` do not. Anything else starting with `-` is an error.
    public init(_ args: [String], valueOptions: Set<String>, flagOptions: Set<String>) throws(UsageError) {
        var i = 0
        var onlyPositional = false
        while i < args.count {
            let arg = args[i]
            i += 1
            if onlyPositional || !arg.hasPrefix("-") || arg == "-" {
                positional.append(arg)
                continue
            }
            if arg == "--" {
                onlyPositional = true
                continue
            }
            var name = arg
            var inline: String?
            if let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            }
            if valueOptions.contains(name) {
                if let inline {
                    values[name] = inline
                } else {
                    guard i < args.count else { throw UsageError("\(name) needs a value") }
                    values[name] = args[i]
                    i += 1
                }
            } else if flagOptions.contains(name) {
                guard inline == nil else { throw UsageError("\(name) takes no value") }
                flags.insert(name)
            } else {
                let known = (valueOptions.union(flagOptions)).sorted().joined(separator: ", ")
                throw UsageError("unknown option \(name) (options: \(known))")
            }
        }
    }

    public func value(_ name: String) -> String? { values[name] }
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    public func integer(_ name: String, minimum: Int) throws(UsageError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let n = Int(text), n >= minimum else { throw UsageError("\(name) takes a whole number ≥ \(minimum), not \"\(text)\"") }
        return n
    }

    public func choice<T: RawRepresentable>(_ name: String, _ type: T.Type) throws(UsageError) -> T? where T.RawValue == String, T: CaseIterable {
        guard let text = values[name] else { return nil }
        guard let v = T(rawValue: text) else {
            throw UsageError("\(name) takes one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(text)\"")
        }
        return v
    }
}
