/// The exit codes `preflight` documents.
public enum ExitCode: Int32, Sendable {
    /// Every file passed (warnings allowed unless --strict).
    case success = 0
    /// At least one file failed (or was only fixable, or warned under --strict).
    case failure = 1
    /// The command line or the rules file is wrong; nothing was checked.
    case usage = 2
}

/// A problem with how the tool was called: printed to stderr, exit 2.
public struct UsageError: Error {
    public var message: String
    public init(_ message: String) { self.message = message }
}
