#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PhotoCodec

/// The files a run must never replace: every input (as named and, for a symlink, what it points
/// to), and every file in a folder that holds an input — the user's photo folder, where a file we
/// did not name may still be an original (`fix p/b.png --out p --overwrite` must not replace
/// `p/b.jpg`). Identified by device and inode, so no spelling of a path gets around it.
public struct ProtectedFiles: Sendable {
    struct FileID: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    private var files = Set<FileID>()
    private var folders = Set<FileID>()

    public init() {}

    public init(inputs: [FilePath]) {
        for input in inputs {
            var info = stat()
            if input.withCString({ lstat($0, &info) }) == 0 { files.insert(FileID(info)) }
            if input.withCString({ stat($0, &info) }) == 0 { files.insert(FileID(info)) }
            if input.parent.withCString({ stat($0, &info) }) == 0 { folders.insert(FileID(info)) }
        }
    }

    /// Why the existing entry `info` (not followed) in the folder `folder` must not be replaced,
    /// or nil when it may be.
    func refusal(entry info: stat, folder: stat) -> String? {
        if files.contains(FileID(info)) { return "it is one of the photos being processed" }
        if folders.contains(FileID(folder)) {
            return "it is in a folder of the photos being processed, where any file may be an original"
        }
        return nil
    }

    /// Why a report file at `path` must not replace what is there (nil when nothing is there or
    /// it may be replaced). Only the inputs themselves count: a report beside the photos
    /// (`check . --output report.json`) is fine.
    public func refusal(replacing path: FilePath) -> String? {
        var entry = stat()
        guard path.withCString({ lstat($0, &entry) }) == 0 else { return nil }
        if files.contains(FileID(entry)) { return "it is one of the photos being processed" }
        if path.withCString({ stat($0, &entry) }) == 0, files.contains(FileID(entry)) {
            return "it links to one of the photos being processed"
        }
        return nil
    }
}

/// Why an output could not be written. Names the output and says what to do.
public struct OutputError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The folder `fix` (and `--debug-dir`) write into. Every output lands below it, through real
/// folders only: a symbolic link inside it (`out/sub -> ../elsewhere`) is never followed, so no
/// output is written outside it. Each file is written atomically (a temporary beside it, then a
/// rename), and never on top of a protected file, `--overwrite` or not.
///
/// Every step is relative to an open descriptor of the folder (`openat`, `mkdirat`, `renameat`),
/// so a path component cannot be swapped for a link between the check and the write.
public final class OutputFolder: @unchecked Sendable {
    // @unchecked: the only state is an immutable descriptor and value-type settings; the *at()
    // calls on one directory descriptor are safe from several threads.
    public let root: FilePath
    private let descriptor: Int32
    private let protected: ProtectedFiles

    /// Opens (creating it and its parents when `create`) the folder `root`. The root itself may
    /// be a symlink: the user named it.
    public init(root: FilePath, protecting: ProtectedFiles, create: Bool = true) throws(OutputError) {
        self.root = root
        self.protected = protecting
        if create { AtomicFile.makeFolders(root) }
        let fd = root.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else {
            throw OutputError("cannot open the output folder \(root.display): \(String(cString: strerror(errno)))")
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    public enum Outcome: Sendable, Equatable {
        case written
        /// The file existed and `replace` was false.
        case kept
    }

    /// Whether `relative` exists below the folder (links not followed; a missing folder on the
    /// way means no).
    public func exists(_ relative: FilePath) -> Bool {
        guard let (dir, name) = try? folder(of: relative, create: false) else { return false }
        defer { close(dir) }
        var info = stat()
        return name.withCString { fstatat(dir, $0, &info, AT_SYMLINK_NOFOLLOW) } == 0
    }

    /// Why writing `relative` (with `replace`) would be refused before anything is written, or nil.
    public func refusal(_ relative: FilePath, replace: Bool) -> String? {
        guard let (dir, name) = try? folder(of: relative, create: false) else { return nil }
        defer { close(dir) }
        var entry = stat(), here = stat()
        guard name.withCString({ fstatat(dir, $0, &entry, AT_SYMLINK_NOFOLLOW) }) == 0, fstat(dir, &here) == 0 else { return nil }
        return protected.refusal(entry: entry, folder: here)
    }

    /// Writes `bytes` as `relative` (below the folder), creating the folders on the way.
    public func write(_ bytes: [UInt8], to relative: FilePath, replace: Bool) throws(OutputError) -> Outcome {
        let shown = root.appending(relative).display
        let (dir, name) = try folder(of: relative, create: true)
        defer { close(dir) }
        var entry = stat(), here = stat()
        if name.withCString({ fstatat(dir, $0, &entry, AT_SYMLINK_NOFOLLOW) }) == 0 {
            if (entry.st_mode & S_IFMT) == S_IFDIR { throw OutputError("\(shown) is a folder") }
            guard fstat(dir, &here) == 0 else { throw OutputError("cannot inspect the folder of \(shown)") }
            if let why = protected.refusal(entry: entry, folder: here) {
                throw OutputError("\(shown) already exists and is not replaced: \(why)")
            }
            if !replace { return .kept }
        }
        // The process id in the name lets a later run tell a stale temporary (its writer was
        // killed) from one being written now (`removeStaleTemporaries`).
        var temporary = FilePath("")
        var fd: Int32 = -1
        for _ in 0..<100 {
            temporary = FilePath(".preflight-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36)).tmp")
            fd = temporary.withCString { openat(dir, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644) }
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw OutputError("cannot create a temporary file beside \(shown): \(String(cString: strerror(errno)))") }
        var failure = AtomicFile.writeAll(bytes, to: fd)
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure == 0 && temporary.withCString({ t in name.withCString { renameat(dir, t, dir, $0) } }) != 0 { failure = errno }
        if failure != 0 {
            _ = temporary.withCString { unlinkat(dir, $0, 0) }
            throw OutputError("cannot write \(shown): \(String(cString: strerror(failure)))")
        }
        return .written
    }

    /// An open descriptor of the folder that holds `relative`, and the file name in it. Each
    /// folder on the way is opened with O_NOFOLLOW: a symbolic link there is refused.
    private func folder(of relative: FilePath, create: Bool) throws(OutputError) -> (Int32, FilePath) {
        var parts = relative.components
        guard let name = parts.popLast(), name.bytes != [0x2E], name.bytes != [0x2E, 0x2E] else {
            throw OutputError("\(relative.display) is not a file name")
        }
        var dir = dup(descriptor)
        guard dir >= 0 else { throw OutputError("cannot use the output folder \(root.display)") }
        var walked = root
        for part in parts {
            walked = walked.appending(part)
            if part.bytes == [0x2E] { continue }
            if part.bytes == [0x2E, 0x2E] {
                close(dir)
                throw OutputError("\(relative.display) leaves the output folder")
            }
            var next = part.withCString { openat(dir, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if next < 0 && errno == ENOENT && create {
                _ = part.withCString { mkdirat(dir, $0, 0o755) }
                next = part.withCString { openat(dir, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            if next < 0 {
                let code = errno
                close(dir)
                if code == ELOOP || code == ENOTDIR {
                    var info = stat()
                    let isLink = walked.withCString { lstat($0, &info) } == 0 && (info.st_mode & S_IFMT) == S_IFLNK
                    throw OutputError("\(walked.display) is \(isLink ? "a symbolic link" : "not a folder"); "
                                      + "outputs are written only into real folders below \(root.display)")
                }
                throw OutputError("cannot open the folder \(walked.display): \(String(cString: strerror(code)))")
            }
            close(dir)
            dir = next
        }
        return (dir, name)
    }

    /// Deletes temporaries a killed run left below the folder (`.preflight-PID-….tmp` whose
    /// process no longer exists), without following links. Returns how many were removed.
    @discardableResult
    public func removeStaleTemporaries() -> Int {
        removeStale(in: dup(descriptor), depth: 0)
    }

    private func removeStale(in fd: Int32, depth: Int) -> Int {
        guard fd >= 0 else { return 0 }
        guard depth < 64, let dir = fdopendir(fd) else {
            close(fd)
            return 0
        }
        defer { closedir(dir) }  // closes fd
        var removed = 0
        var subfolders: [FilePath] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in FilePath(bytes: raw.prefix { $0 != 0 }) }
            if name.bytes == [0x2E] || name.bytes == [0x2E, 0x2E] { continue }
            if Int32(entry.pointee.d_type) == Int32(DT_DIR) { subfolders.append(name); continue }
            let text = name.lossyString
            guard text.hasPrefix(".preflight-"), text.hasSuffix(".tmp") else { continue }
            let parts = text.split(separator: "-")
            guard parts.count == 3, let pid = Int32(parts[1]) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH && name.withCString({ unlinkat(dirfd(dir), $0, 0) }) == 0 { removed += 1 }
        }
        for sub in subfolders {
            let child = sub.withCString { openat(dirfd(dir), $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            removed += removeStale(in: child, depth: depth + 1)
        }
        return removed
    }
}
