/// Why pixels could not be decoded or encoded. A finding is made of it; it names no file,
/// the caller adds that.
public struct CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The data is damaged or not what its header says.
        case corrupt
        /// The data ends before the image does.
        case truncated
        /// More pixels than the configured limit (a decompression bomb or simply too big).
        case tooLarge = "too_large"
        /// A valid file using a feature the library cannot decode (12-bit, lossless JPEG, …).
        case unsupported
        case outOfMemory = "out_of_memory"
        /// Decoding would hold more memory than the run's limit (`MemoryBudget`): refused before
        /// allocating.
        case overMemoryLimit = "over_memory_limit"
    }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
