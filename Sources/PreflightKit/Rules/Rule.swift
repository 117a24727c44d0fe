import PhotoCodec

/// A check on one photo. A rule describes itself once; its id is its key in rules.json.
///
/// `check` reports findings at the severity they would have as errors of this rule: primary
/// findings as `.error`, lesser ones lower. The engine then caps each at the severity configured
/// for the rule, so `"severity": "warning"` turns every error of the rule into a warning.
public protocol Rule: Sendable {
    static var description: RuleDescription { get }
    /// Options already validated against `description.options` and filled with defaults.
    init(options: RuleOptions)
    func check(_ facts: PhotoFacts) -> [Finding]
}

extension Rule {
    public var id: String { Self.description.id }

    /// A finding of this rule.
    func finding(_ severity: Severity, _ message: String, advice: String? = nil, measured: String? = nil,
                 limit: String? = nil, fixable: Bool = false, kind: String? = nil) -> Finding {
        Finding(ruleID: Self.description.id, severity: severity, message: message, advice: advice,
                measured: measured, limit: limit, fixable: fixable, kind: kind)
    }
}

/// A rule's self-description: the source of `preflight rules`, the JSON Schema and validation.
public struct RuleDescription: Sendable {
    /// snake_case; the key in rules.json.
    public var id: String
    /// One line: what the rule checks.
    public var summary: String
    /// Why it matters, and where its thresholds come from.
    public var rationale: String
    public var defaultSeverity: ConfiguredSeverity
    public var options: [OptionSpec]
    /// Whether the rule reads decoded pixels (a header-only run skips it).
    public var needsPixels: Bool
    /// Whether the rule reads the face analysis (implies pixels; needs the cascade files).
    public var needsFaces: Bool = false
}

/// A rule's configured severity: `off` disables it.
public enum ConfiguredSeverity: String, Sendable, Codable, CaseIterable {
    case off, info, warning, error

    /// The ceiling a finding's severity is capped at; nil when off.
    public var ceiling: Severity? {
        switch self {
        case .off: nil
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}

/// One option a rule takes in rules.json.
public struct OptionSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A whole number in `minimum...maximum` (every numeric option is bounded: no value a
        /// rules file can hold makes arithmetic overflow).
        case integer(minimum: Int, maximum: Int)
        case severity
        case formats
    }
    public var key: String
    public var kind: Kind
    public var defaultValue: OptionValue
    public var summary: String

    public init(_ key: String, _ kind: Kind, default defaultValue: OptionValue, _ summary: String) {
        self.key = key
        self.kind = kind
        self.defaultValue = defaultValue
        self.summary = summary
    }
}

/// An option's value.
public enum OptionValue: Sendable, Equatable, CustomStringConvertible {
    case integer(Int)
    case severity(ConfiguredSeverity)
    case formats([ImageFormat])

    public var description: String {
        switch self {
        case .integer(let n): "\(n)"
        case .severity(let s): s.rawValue
        case .formats(let f): "[" + f.map(\.rawValue).joined(separator: ", ") + "]"
        }
    }
}

/// Validated option values of one rule, defaults filled in.
public struct RuleOptions: Sendable, Equatable {
    public var values: [String: OptionValue]

    public init(_ values: [String: OptionValue]) { self.values = values }

    /// Defaults of every option of a rule.
    public init(defaultsOf description: RuleDescription) {
        values = Dictionary(uniqueKeysWithValues: description.options.map { ($0.key, $0.defaultValue) })
    }

    public func integer(_ key: String) -> Int {
        if case .integer(let n)? = values[key] { return n }
        preconditionFailure("option \(key) is not an integer")
    }

    public func severity(_ key: String) -> ConfiguredSeverity {
        if case .severity(let s)? = values[key] { return s }
        preconditionFailure("option \(key) is not a severity")
    }

    public func formats(_ key: String) -> [ImageFormat] {
        if case .formats(let f)? = values[key] { return f }
        preconditionFailure("option \(key) is not a format list")
    }
}
