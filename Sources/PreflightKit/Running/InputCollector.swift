#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PhotoCodec

/// Turns the paths a user typed into the files to check, in a stable order.
///
/// Folders are walked depth-first, entries sorted by name (byte order); hidden files and folders
/// (a leading dot) are left out; a symlinked folder is followed once (loops are safe: each folder
/// is identified by device and inode). Inside folders, files that are clearly not photos (no image
/// extension and no image magic bytes) are skipped, and so is what cannot be walked (a dangling
/// symlink, a FIFO, a folder that cannot be read or whose path is longer than the system allows),
/// each with its reason. Files named explicitly are always checked, whatever they are.
///
/// Paths are bytes end to end (`FilePath`): a name that is not UTF-8 is checked like any other.
/// The walk uses its own stack, so a deeply nested tree cannot overflow the thread's.
public struct InputCollector {
    public struct Input: Sendable, Equatable {
        /// The path to open.
        public var path: FilePath
        /// The path to show in reports (`path.display`).
        public var displayPath: String
        /// Below the folder the user named (the file name for a file named directly): where
        /// `fix` puts the output inside --out.
        public var relativePath: FilePath

        public init(path: FilePath, relativePath: FilePath? = nil) {
            self.path = path
            self.displayPath = path.display
            self.relativePath = relativePath ?? path.lastComponent
        }

        public init(path: String, relativePath: String? = nil) {
            self.init(path: FilePath(path), relativePath: relativePath.map { FilePath($0) })
        }
    }

    /// Something found inside a folder and left out, and why.
    public struct Skipped: Sendable, Equatable {
        public var path: FilePath
        public var reason: Reason

        public enum Reason: Sendable, Equatable {
            /// No image extension and no image magic bytes.
            case notAPhoto
            /// A dangling symlink, a FIFO, a socket, a device.
            case notARegularFile(String)
            /// A folder that could not be read, or a path the system cannot open (longer than
            /// PATH_MAX): its contents are not checked.
            case unreadableFolder(String)

            public var text: String {
                switch self {
                case .notAPhoto: "not a photo"
                case .notARegularFile(let why): why
                case .unreadableFolder(let why): "folder not checked: \(why)"
                }
            }
        }

        public init(path: FilePath, reason: Reason) {
            self.path = path
            self.reason = reason
        }
    }

    public struct Collected: Sendable {
        public var inputs: [Input] = []
        /// What was found inside folders and left out.
        public var skipped: [Skipped] = []
        /// Paths the user named that do not exist.
        public var missing: [FilePath] = []
    }

    public init() {}

    public func collect(_ paths: [String]) -> Collected {
        collect(paths.map { FilePath($0) })
    }

    public func collect(_ paths: [FilePath]) -> Collected {
        var result = Collected()
        var visited = Set<FileID>()
        for raw in paths {
            var info = stat()
            guard raw.withCString({ stat($0, &info) }) == 0 else {
                // A dangling symlink or a missing file.
                result.missing.append(raw)
                continue
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                walk(raw.withoutTrailingSlash, into: &result, visited: &visited)
            } else {
                result.inputs.append(Input(path: raw))
            }
        }
        return result
    }

    struct FileID: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// One folder being listed: its entries, sorted, and how far the walk has got.
    private struct Frame {
        var folder: FilePath
        var entries: [(name: FilePath, type: UInt8)]
        var next = 0
    }

    private func walk(_ root: FilePath, into result: inout Collected, visited: inout Set<FileID>) {
        var stack: [Frame] = []
        if let frame = open(root, into: &result, visited: &visited) { stack.append(frame) }
        while !stack.isEmpty {
            let top = stack.count - 1
            guard stack[top].next < stack[top].entries.count else {
                stack.removeLast()
                continue
            }
            let (name, type) = stack[top].entries[stack[top].next]
            stack[top].next += 1
            let folder = stack[top].folder
            let path = folder.appending(name)
            var mode: mode_t
            switch Int32(type) {
            case Int32(DT_REG): mode = S_IFREG
            case Int32(DT_DIR): mode = S_IFDIR
            default:
                // Symlinks, and file systems that do not report types (DT_UNKNOWN), are stat'ed.
                var entryInfo = stat()
                guard path.withCString({ stat($0, &entryInfo) }) == 0 else {
                    let code = errno
                    let why = code == ENOENT ? "a symbolic link to nothing" : String(cString: strerror(code))
                    result.skipped.append(Skipped(path: path, reason: .notARegularFile(why)))
                    continue
                }
                mode = entryInfo.st_mode & S_IFMT
            }
            switch mode {
            case S_IFDIR:
                if let frame = open(path, into: &result, visited: &visited) { stack.append(frame) }
            case S_IFREG:
                if looksLikePhoto(path: path, name: name) {
                    let relative = FilePath(bytes: path.bytes.dropFirst(root.bytes == [0x2F] ? 1 : root.bytes.count + 1))
                    result.inputs.append(Input(path: path, relativePath: relative))
                } else {
                    result.skipped.append(Skipped(path: path, reason: .notAPhoto))
                }
            case S_IFIFO: result.skipped.append(Skipped(path: path, reason: .notARegularFile("a FIFO (named pipe)")))
            case S_IFSOCK: result.skipped.append(Skipped(path: path, reason: .notARegularFile("a socket")))
            default: result.skipped.append(Skipped(path: path, reason: .notARegularFile("a device or special file")))
            }
        }
    }

    /// Lists `folder` (sorted, hidden entries left out), or records why it cannot be; nil when it
    /// was visited before or cannot be listed.
    private func open(_ folder: FilePath, into result: inout Collected, visited: inout Set<FileID>) -> Frame? {
        var info = stat()
        guard folder.withCString({ stat($0, &info) }) == 0 else {
            result.skipped.append(Skipped(path: folder, reason: .unreadableFolder(Self.reason(errno))))
            return nil
        }
        let id = FileID(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        guard visited.insert(id).inserted else { return nil }
        guard let dir = folder.withCString({ opendir($0) }) else {
            let code = errno
            if code == ENAMETOOLONG {
                result.skipped.append(Skipped(path: folder, reason: .unreadableFolder(Self.reason(code))))
            } else {
                result.inputs.append(Input(path: folder))  // reported as unreadable, with the system's reason
            }
            return nil
        }
        // The entry type from readdir saves a stat per file.
        var entries: [(name: FilePath, type: UInt8)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in FilePath(bytes: raw.prefix { $0 != 0 }) }
            if name.bytes.first == 0x2E { continue }  // hidden, and . and ..
            entries.append((name, entry.pointee.d_type))
        }
        closedir(dir)
        entries.sort { $0.name < $1.name }
        return Frame(folder: folder, entries: entries)
    }

    static func reason(_ code: Int32) -> String {
        code == ENAMETOOLONG ? "its path is longer than the system allows (PATH_MAX, \(PATH_MAX) bytes)"
            : String(cString: strerror(code))
    }

    /// An image extension, or image magic bytes under any name.
    func looksLikePhoto(path: FilePath, name: FilePath) -> Bool {
        let text = name.lossyString
        if let dot = text.lastIndex(of: "."), ImageFormat.claimed(byExtension: String(text[text.index(after: dot)...])) != nil {
            return true
        }
        guard let source = try? FileByteSource(path: path, windowSize: 64), let head = try? source.bytes(at: 0, length: 64) else {
            return false
        }
        return ImageFormat.sniff(head, totalCount: source.count).isImage
    }
}
