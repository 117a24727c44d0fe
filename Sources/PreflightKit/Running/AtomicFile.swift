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
        // The process id in the name lets a later run tell a stale temporary (its writer was
        // killed) from one being written now (`removeStale`).
        var template = Array(((folder.isEmpty ? "/" : folder + "/") + ".preflight-\(getpid())-XXXXXX.tmp").utf8CString)
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

    /// `mkdir -p`: creates `directory` and its parents. False when it is not a folder afterwards.
    @discardableResult
    public static func makeFolders(_ directory: String) -> Bool {
        var path = ""
        for part in directory.split(separator: "/", omittingEmptySubsequences: false) {
            path += (path.isEmpty && part.isEmpty) ? "/" : (path.isEmpty || path == "/" ? "" : "/") + part
            if !path.isEmpty { mkdir(path, 0o755) }
        }
        var info = stat()
        return stat(directory, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Deletes temporaries that a killed run left below `folder` (`.preflight-PID-XXXXXX.tmp`
    /// whose process no longer exists). Returns how many were removed.
    @discardableResult
    public static func removeStale(below folder: String, depth: Int = 0) -> Int {
        guard depth < 64, let dir = opendir(folder) else { return 0 }
        var removed = 0
        var subfolders: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let path = folder + "/" + name
            if Int32(entry.pointee.d_type) == Int32(DT_DIR) { subfolders.append(path); continue }
            guard name.hasPrefix(".preflight-"), name.hasSuffix(".tmp") else { continue }
            let parts = name.split(separator: "-")
            guard parts.count == 3, let pid = Int32(parts[1]) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH && unlink(path) == 0 { removed += 1 }
        }
        closedir(dir)
        for sub in subfolders { removed += removeStale(below: sub, depth: depth + 1) }
        return removed
    }

    public static func write(_ text: String, to path: String) throws(ByteSourceError) {
        try write(Array(text.utf8), to: path)
    }
}

