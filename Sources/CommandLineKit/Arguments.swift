import PhotoCodec

/// A small hand-written parser: `--name value`, `--name=value`, flags, and positional arguments
/// (everything after `--` is positional).
///
/// Arguments are kept as the bytes the kernel passed (`FilePath`): a file name that is not UTF-8
/// reaches `open` intact. Option values that are not paths are read as (repaired) text.
public struct Arguments {
    public private(set) var positionalPaths: [FilePath] = []
    private var values: [String: FilePath] = [:]
    private var flags: Set<String> = []

    /// The positional arguments as text for messages (escaped where not printable UTF-8).
    public var positional: [String] { positionalPaths.map(\.display) }

    /// `valueOptions` take a value; `flagOptions` do not. Anything else starting with `-` is an error.
    public init(_ args: [FilePath], valueOptions: Set<String>, flagOptions: Set<String>) throws(UsageError) {
        var i = 0
        var onlyPositional = false
        while i < args.count {
            let arg = args[i]
            i += 1
            if onlyPositional || arg.bytes.first != 0x2D || arg.bytes == [0x2D] {
                positionalPaths.append(arg)
                continue
            }
            if arg.bytes == [0x2D, 0x2D] {
                onlyPositional = true
                continue
            }
            var name = arg.display
            var inline: FilePath?
            if let eq = arg.bytes.firstIndex(of: 0x3D) {
                name = FilePath(bytes: arg.bytes[..<eq]).display
                inline = FilePath(bytes: arg.bytes[(eq + 1)...])
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

    public init(_ args: [String], valueOptions: Set<String>, flagOptions: Set<String>) throws(UsageError) {
        try self.init(args.map { FilePath($0) }, valueOptions: valueOptions, flagOptions: flagOptions)
    }

    /// An option's value as text.
    public func value(_ name: String) -> String? { values[name]?.lossyString }
    /// An option's value as a path, its bytes as given.
    public func path(_ name: String) -> FilePath? { values[name] }
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// A whole number within `range`; anything else (text, overflow, out of range) is a usage error
    /// that states the range.
    public func integer(_ name: String, in range: ClosedRange<Int>) throws(UsageError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let n = Int(text), range.contains(n) else {
            throw UsageError("\(name) takes a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(printable(text))\"")
        }
        return n
    }

    /// A finite number within `range` (NaN and infinities are refused).
    public func number(_ name: String, in range: ClosedRange<Double>) throws(UsageError) -> Double? {
        guard let text = value(name) else { return nil }
        guard let v = Double(text), v.isFinite, range.contains(v) else {
            throw UsageError("\(name) takes a number from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound)), not \"\(printable(text))\"")
        }
        return v
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }

    public func choice<T: RawRepresentable>(_ name: String, _ type: T.Type) throws(UsageError) -> T? where T.RawValue == String, T: CaseIterable {
        guard let text = value(name) else { return nil }
        guard let v = T(rawValue: text) else {
            throw UsageError("\(name) takes one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(printable(text))\"")
        }
        return v
    }
}

/// The ranges of the numeric options, stated once: each command's help and errors quote them.
public enum OptionRange {
    /// Photos handled at once. More than a machine has cores only queues; the cap keeps a typo
    /// (or an overflow) from asking for billions of tasks.
    public static let jobs = 1...1024
    /// Seconds.
    public static let timeout = 1...3600
    public static let retries = 0...20
    public static let avatarTimeout = 1...86_400
    /// Bytes: up to 1 GB (HeyGen's newest asset API takes 32 MB).
    public static let maxBytes = 1...1_000_000_000
    public static let qualityFloor = 1...95
    public static let maxUpscale = 1.0...16.0
    /// MiB of decoded pixels and decoder working memory shared by all workers.
    public static let memoryLimit = 64...1_048_576
}
