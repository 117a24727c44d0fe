import PhotoCodec
import PreflightKit

/// The exit codes `preflight` documents.
public enum ExitCode: Int32, Sendable {
    /// Every file passed (warnings allowed unless --strict).
    case success = 0
    /// At least one file failed (or was only fixable, or warned under --strict).
    case failure = 1
    /// The command line or the rules file is wrong; nothing was checked.
    case usage = 2
    /// The photos were processed, but the report file (--output, --report) could not be written.
    case reportNotWritten = 3
}

/// A problem with how the tool was called: printed to stderr, exit 2.
public struct UsageError: Error {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// The run finished, but its report file could not be written: printed to stderr, exit 3.
public struct ReportWriteError: Error {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// Writes a report file atomically, refusing to replace a protected file (an input, or a file in
/// a folder of the inputs). A failure after the photos were processed is exit 3, not a usage error.
public func writeReport(_ text: String, to path: FilePath, protecting: ProtectedFiles) throws(ReportWriteError) {
    if let why = protecting.refusal(replacing: path) {
        throw ReportWriteError("the report was not written to \(path.display): \(why)")
    }
    do {
        try AtomicFile.write(text, to: path)
    } catch {
        throw ReportWriteError("the photos were processed, but the report could not be written: \(error)")
    }
}
