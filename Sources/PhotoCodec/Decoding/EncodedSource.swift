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

extension EncodedSource {
    /// Every byte (a file is read now).
    public func readAll() throws(ByteSourceError) -> [UInt8] {
        switch self {
        case .memory(let bytes): bytes
        case .file(let file): try file.readAll()
        }
    }

    /// The bytes at `offset` (fewer at the end).
    public func bytes(at offset: Int, length: Int) throws(ByteSourceError) -> ArraySlice<UInt8> {
        switch self {
        case .memory(let bytes): MemoryByteSource(bytes).bytes(at: offset, length: length)
        case .file(let file): try file.bytes(at: offset, length: length)
        }
    }
}

/// An `EncodedSource` as a `ByteSource` (for the probe and the segment reader).
public struct EncodedByteSource: ByteSource {
    public let source: EncodedSource
    public init(_ source: EncodedSource) { self.source = source }
    public var count: Int { source.count }
    public mutating func bytes(at offset: Int, length: Int) throws(ByteSourceError) -> ArraySlice<UInt8> {
        try source.bytes(at: offset, length: length)
    }
}
