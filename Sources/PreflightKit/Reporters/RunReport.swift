/// Everything one `preflight check` run found, in input order.
public struct RunReport: Sendable {
    public var toolVersion: String
    public var profile: String
    public var results: [FileResult]
    /// What was found in folders and left out (not photos, special files, unreadable folders).
    public var skipped: [InputCollector.Skipped]
    /// `--strict`: warnings fail.
    public var strict: Bool
    /// `--header-only`: rules needing pixels were skipped.
    public var headerOnly: Bool

    public init(toolVersion: String, profile: String, results: [FileResult], skipped: [InputCollector.Skipped], strict: Bool, headerOnly: Bool) {
        self.toolVersion = toolVersion
        self.profile = profile
        self.results = results
        self.skipped = skipped
        self.strict = strict
        self.headerOnly = headerOnly
    }

    public func count(_ verdict: Verdict) -> Int { results.filter { $0.verdict == verdict }.count }

    /// Whether the run fails (exit code 1).
    public var failed: Bool { results.contains { $0.verdict.fails(strict: strict) } }
}

/// Turns a run into text for one output format. Reporters are plain functions of the report.
public protocol Reporter: Sendable {
    func render(_ report: RunReport) -> String
}

public enum OutputFormat: String, Sendable, CaseIterable {
    case text, json, junit, github

    public func reporter(color: Bool = false, quiet: Bool = false) -> any Reporter {
        switch self {
        case .text: TextReporter(color: color, quiet: quiet)
        case .json: JSONReporter()
        case .junit: JUnitReporter()
        case .github: GitHubReporter()
        }
    }
}
