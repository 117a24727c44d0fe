#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PhotoCodec

/// Writes single files (reports, the upload manifest) atomically: a temporary file in the same
/// folder, fsync, then rename, so a reader sees the old file or the whole new one, never a part.
/// Outputs of `fix` go through `OutputFolder`, which also refuses links and protected files.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: FilePath) throws(ByteSourceError) {
        let folder = path.parent
        // The process id in the name lets a later run tell a stale temporary (its writer was
        // killed) from one being written now.
        var template = (folder.appending(".preflight-\(getpid())-XXXXXX.tmp").bytes.map { CChar(bitPattern: $0) }) + [0]
        let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
        guard fd >= 0 else { throw .errno(path.display, errno, "cannot create a temporary file in \(folder.display)") }
        let temporary = FilePath(bytes: template.dropLast().map { UInt8(bitPattern: $0) })
        var code = writeAll(bytes, to: fd)
        var ok = code == 0
        if ok && fsync(fd) != 0 { ok = false; code = errno }
        fchmod(fd, 0o644)
        if close(fd) != 0 && ok { ok = false; code = errno }
        if ok && temporary.withCString({ t in path.withCString { rename(t, $0) } }) != 0 { ok = false; code = errno }
        if !ok {
            _ = temporary.withCString { unlink($0) }
            throw .errno(path.display, code, "cannot write")
        }
    }

    /// Writes every byte to `fd` (retrying short writes and EINTR); 0, or the errno that stopped it.
    static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Int32 {
        bytes.withUnsafeBufferPointer { buffer in
            var done = 0
            while done < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return 0
        }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(ByteSourceError) {
        try write(bytes, to: FilePath(path))
    }

    public static func write(_ text: String, to path: FilePath) throws(ByteSourceError) {
        try write(Array(text.utf8), to: path)
    }

    public static func write(_ text: String, to path: String) throws(ByteSourceError) {
        try write(Array(text.utf8), to: FilePath(path))
    }

    /// `mkdir -p`: creates `directory` and its parents. False when it is not a folder afterwards.
    @discardableResult
    public static func makeFolders(_ directory: FilePath) -> Bool {
        var path = directory.isAbsolute ? FilePath("/") : FilePath("")
        for part in directory.components {
            path = path.appending(part)
            _ = path.withCString { mkdir($0, 0o755) }
        }
        var info = stat()
        return directory.withCString { stat($0, &info) } == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    @discardableResult
    public static func makeFolders(_ directory: String) -> Bool { makeFolders(FilePath(directory)) }
}
