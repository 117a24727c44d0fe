/// Where a decoder reads a photo's compressed bytes: bytes already in memory, or an open file the
/// C decoder reads itself in blocks — so checking a 2 GB file does not read 2 GB into memory.
public enum EncodedSource {
    case memory([UInt8])
    case file(FileByteSource)

    /// The number of compressed bytes.
    public var count: Int {
        switch self {
        case .memory(let bytes): bytes.count
        case .file(let file): file.count
        }
    }

    /// Calls `body` with (bytes, count, -1) for memory, or (nil, count, descriptor) for a file.
    func withRaw<R>(_ body: (UnsafePointer<UInt8>?, Int, Int32) -> R) -> R {
        switch self {
        case .memory(let bytes):
            bytes.withUnsafeBufferPointer { body($0.baseAddress, $0.count, -1) }
        case .file(let file):
            body(nil, file.count, file.fileDescriptor)
        }
    }
}
