/// How much a finding matters. Ordered: info < warning < error.
public enum Severity: String, Sendable, Codable, Comparable, CaseIterable {
    case info, warning, error

    private var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One thing a rule found wrong (or worth knowing) about one photo: plain data, never thrown.
public struct Finding: Sendable, Equatable {
    /// The rule's id, which is also its key in rules.json.
    public var ruleID: String
    public var severity: Severity
    /// What is wrong, with the measured value and the limit in words.
    public var message: String
    /// What the person should do about it.
    public var advice: String?
    /// The measured value in the rule's units ("400×300", "12345678 bytes"), for reports.
    public var measured: String?
    /// The limit it was held to ("≥ 512×512").
    public var limit: String?
    /// `preflight fix` can repair this without new source material: the fix planner can satisfy
    /// it with the default options (`Checker` asks it; rules only say whether a remedy exists).
    public var fixable: Bool
    /// Which of the rule's checks found it, when a rule has several (the format rule's option
    /// names, framing's "distant"/"close_up", frontal's "roll"/"rotated"): the fix planner's key.
    public var kind: String?

    public init(ruleID: String, severity: Severity, message: String, advice: String? = nil,
                measured: String? = nil, limit: String? = nil, fixable: Bool = false, kind: String? = nil) {
        self.ruleID = ruleID
        self.severity = severity
        self.message = message
        self.advice = advice
        self.measured = measured
        self.limit = limit
        self.fixable = fixable
        self.kind = kind
    }
}

/// A photo's overall result.
public enum Verdict: String, Sendable, Codable, CaseIterable {
    /// Nothing above info.
    case pass
    /// Warnings only: the service accepts it, though it may not animate at its best.
    case warn
    /// Errors, every one of which `preflight fix` can repair.
    case fixable
    /// At least one error that needs a different photo.
    case fail

    public init(findings: [Finding]) {
        let errors = findings.filter { $0.severity == .error }
        if !errors.isEmpty {
            self = errors.allSatisfy(\.fixable) ? .fixable : .fail
        } else if findings.contains(where: { $0.severity == .warning }) {
            self = .warn
        } else {
            self = .pass
        }
    }

    /// Whether this verdict makes `preflight check` exit 1 (with `--strict`, warnings do too).
    public func fails(strict: Bool) -> Bool {
        switch self {
        case .pass: false
        case .warn: strict
        case .fixable, .fail: true
        }
    }
}
