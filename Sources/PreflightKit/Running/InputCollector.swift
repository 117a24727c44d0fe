#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PhotoCodec

/// Turns the paths a user typed into the files to check, in a stable order.
///
/// Folders are walked recursively, entries sorted by name (byte order); hidden files and folders
/// (a leading dot) are skipped; a symlinked folder is followed once (loops are safe: each folder
/// is identified by device and inode). Inside folders, files that are clearly not photos (no image
/// extension and no image magic bytes) are skipped and counted. Files named explicitly are
/// always checked, whatever they are.
public struct InputCollector {
    public struct Input: Sendable, Equatable {
        /// The path to open.
        public var path: String
        /// The path to show in reports (the same, for relative input).
        public var displayPath: String
        /// Below the folder the user named (the file name for a file named directly): where
        /// `fix` puts the output inside --out.
        public var relativePath: String

        public init(path: String, displayPath: String, relativePath: String? = nil) {
            self.path = path
            self.displayPath = displayPath
            self.relativePath = relativePath ?? String(path.split(separator: "/").last ?? Substring(path))
        }
    }

    public struct Collected: Sendable {
        public var inputs: [Input] = []
        /// Files inside folders that are not photos, and non-regular files.
        public var skipped: [String] = []
        /// Paths the user named that do not exist.
        public var missing: [String] = []
    }

    public init() {}

    public func collect(_ paths: [String]) -> Collected {
        var result = Collected()
        var visited = Set<FileID>()
        for raw in paths {
            var info = stat()
            guard stat(raw, &info) == 0 else {
                // A dangling symlink or a missing file.
                result.missing.append(raw)
                continue
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                let root = raw.count > 1 && raw.hasSuffix("/") ? String(raw.dropLast()) : raw
                walk(root, root: root, into: &result, visited: &visited)
            } else {
                result.inputs.append(Input(path: raw, displayPath: raw))
            }
        }
        return result
    }

    struct FileID: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private func walk(_ folder: String, root: String, into result: inout Collected, visited: inout Set<FileID>) {
        var info = stat()
        guard stat(folder, &info) == 0 else { return }
        let id = FileID(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        guard visited.insert(id).inserted else { return }
        guard let dir = opendir(folder) else {
            result.inputs.append(Input(path: folder, displayPath: folder))  // reported as unreadable
            return
        }
        // The entry type from readdir saves a stat per file; symlinks and file systems that do not
        // report types (DT_UNKNOWN) are stat'ed.
        var entries: [(name: String, type: UInt8)] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            entries.append((name, entry.pointee.d_type))
        }
        closedir(dir)
        entries.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        for (name, type) in entries {
            let path = folder == "/" ? "/" + name : folder + "/" + name
            var mode: mode_t
            switch Int32(type) {
            case Int32(DT_REG): mode = S_IFREG
            case Int32(DT_DIR): mode = S_IFDIR
            default:
                var entryInfo = stat()
                guard stat(path, &entryInfo) == 0 else {
                    result.skipped.append(path)  // dangling symlink
                    continue
                }
                mode = entryInfo.st_mode & S_IFMT
            }
            switch mode {
            case S_IFDIR: walk(path, root: root, into: &result, visited: &visited)
            case S_IFREG:
                if looksLikePhoto(path: path, name: name) {
                    let relative = root == "/" ? String(path.dropFirst()) : String(path.dropFirst(root.count + 1))
                    result.inputs.append(Input(path: path, displayPath: path, relativePath: relative))
                } else {
                    result.skipped.append(path)
                }
            default: result.skipped.append(path)
            }
        }
    }

    /// An image extension, or image magic bytes under any name.
    func looksLikePhoto(path: String, name: String) -> Bool {
        if let dot = name.lastIndex(of: "."), ImageFormat.claimed(byExtension: String(name[name.index(after: dot)...])) != nil {
            return true
        }
        guard let source = try? FileByteSource(path: path, windowSize: 64), let head = try? source.bytes(at: 0, length: 64) else {
            return false
        }
        return ImageFormat.sniff(head, totalCount: source.count).isImage
    }
}
