#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PhotoCodec

/// Writes files atomically: a temporary file in the same folder, fsync, then rename, so a
/// reader sees the old file or the whole new one, never a part.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws(ByteSourceError) {
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        var template = Array(((folder.isEmpty ? "/" : folder + "/") + ".preflight-XXXXXX.tmp").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
        guard fd >= 0 else { throw .errno(path, errno, "cannot create a temporary file in \(folder)") }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var ok = true
        var code: Int32 = 0
        bytes.withUnsafeBufferPointer { buffer in
            var done = 0
            while done < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    ok = false
                    code = errno
                    return
                }
                done += n
            }
        }
        if ok && fsync(fd) != 0 { ok = false; code = errno }
        fchmod(fd, 0o644)
        close(fd)
        if ok && rename(temporary, path) != 0 { ok = false; code = errno }
        if !ok {
            unlink(temporary)
            throw .errno(path, code, "cannot write")
        }
    }

    public static func write(_ text: String, to path: String) throws(ByteSourceError) {
        try write(Array(text.utf8), to: path)
    }
}

