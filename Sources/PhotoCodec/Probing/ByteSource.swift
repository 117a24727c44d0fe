#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random access to a file's bytes, read in blocks so that a header probe touches only the
/// first few KiB of a large photo. Reads past the end return fewer bytes, never fail.
public protocol ByteSource {
    /// The whole length in bytes.
    var count: Int { get }
    /// Up to `length` bytes from `offset` (fewer at the end of the data).
    mutating func bytes(at offset: Int, length: Int) throws(ByteSourceError) -> ArraySlice<UInt8>
}

/// An I/O failure while reading a file (the file's problem is reported, never thrown past it).
public struct ByteSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }

    /// The C library's text for `errno`.
    public static func errno(_ path: String, _ code: Int32, _ action: String) -> ByteSourceError {
        ByteSourceError(path: path, reason: "\(action): \(String(cString: strerror(code)))")
    }
}

/// Bytes already in memory (tests, and files that were read whole).
public struct MemoryByteSource: ByteSource {
    public let storage: [UInt8]
    public init(_ storage: [UInt8]) { self.storage = storage }
    public var count: Int { storage.count }
    public func bytes(at offset: Int, length: Int) -> ArraySlice<UInt8> {
        guard offset >= 0, offset < storage.count, length > 0 else { return [] }
        return storage[offset..<min(storage.count, offset + min(length, storage.count - offset))]
    }
}

/// A file read with `pread` through a small window. The first window (16 KiB) covers the
/// headers of most JPEGs and PNGs, so a probe is usually one system call; a phone JPEG whose
/// EXIF thumbnail pushes the frame header further costs one more read.
public final class FileByteSource: ByteSource {
    public let path: FilePath
    public let count: Int
    private let descriptor: Int32
    private var window: [UInt8] = []
    private var windowStart = 0
    private let windowSize: Int
    /// How many bytes were read from the file so far (the probe's cost).
    public private(set) var bytesRead = 0

    /// Opens `path` read-only (O_NOFOLLOW is not used: symlinked photos are fine; O_NONBLOCK
    /// keeps a FIFO named like a photo from blocking the open).
    public init(path: FilePath, windowSize: Int = 16_384) throws(ByteSourceError) {
        self.path = path
        self.windowSize = windowSize
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
        guard fd >= 0 else { throw .errno(path.display, errno, "cannot open") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw .errno(path.display, code, "cannot stat")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw ByteSourceError(path: path.display, reason: "not a regular file")
        }
        descriptor = fd
        count = Int(info.st_size)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    public convenience init(path: String, windowSize: Int = 16_384) throws(ByteSourceError) {
        try self.init(path: FilePath(path), windowSize: windowSize)
    }

    /// The open file's device and inode (what it is, whatever its name).
    public let device: UInt64
    public let inode: UInt64

    /// The open descriptor (valid while this source lives), for decoders that read the file
    /// themselves in chunks.
    public var fileDescriptor: Int32 { descriptor }

    deinit { close(descriptor) }

    public func bytes(at offset: Int, length: Int) throws(ByteSourceError) -> ArraySlice<UInt8> {
        guard offset >= 0, offset < count, length > 0 else { return [] }
        let end = min(count, offset + length)
        if offset >= windowStart && end <= windowStart + window.count {
            return window[(offset - windowStart)..<(end - windowStart)]
        }
        let want = max(windowSize, end - offset)
        window = try readExactly(at: offset, length: min(want, count - offset))
        windowStart = offset
        return window[0..<min(window.count, end - offset)]
    }

    /// The whole file (for decoding).
    public func readAll() throws(ByteSourceError) -> [UInt8] {
        try readExactly(at: 0, length: count)
    }

    private func readExactly(at offset: Int, length: Int) throws(ByteSourceError) -> [UInt8] {
        var failure: Int32 = 0
        let fd = descriptor
        // Uninitialised capacity: no zero-filling of a buffer the kernel is about to fill.
        let buffer = [UInt8](unsafeUninitializedCapacity: length) { raw, initialized in
            var done = 0
            while done < length {
                let n = pread(fd, raw.baseAddress! + done, length - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { break }
                done += n
            }
            initialized = done
        }
        if failure != 0 { throw .errno(path.display, failure, "cannot read") }
        bytesRead += buffer.count
        return buffer
    }
}
