/// A mistake in a rules file: where (a JSON path) and what.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file, or "built-in rules".
    public var source: String
    /// Dotted JSON path, e.g. `profiles.heygen-photo.rules.file_size.max_byts`; empty for the whole file.
    public var path: String
    public var message: String

    public init(source: String, path: String, message: String) {
        self.source = source
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? "\(source): \(message)" : "\(source): \(path): \(message)"
    }
}
