#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PhotoCodec

/// What has been uploaded, keyed by content SHA-256: a photo whose bytes are already here is not
/// uploaded again, whatever its name or path. Saved atomically after every change; a lock file
/// keeps two runs from writing the same manifest at once.
public struct UploadManifest: Sendable {
    public struct Entry: Sendable, Equatable {
        public var sha256: String
        public var imageKey: String
        public var assetID: String?
        public var url: String?
        public var avatarID: String?
        public var avatarStatus: String?
        public var path: String
        public var uploadedAt: String

        public init(sha256: String, imageKey: String, assetID: String?, url: String?, avatarID: String? = nil,
                    avatarStatus: String? = nil, path: String, uploadedAt: String) {
            self.sha256 = sha256
            self.imageKey = imageKey
            self.assetID = assetID
            self.url = url
            self.avatarID = avatarID
            self.avatarStatus = avatarStatus
            self.path = path
            self.uploadedAt = uploadedAt
        }
    }

    public let path: String
    public private(set) var entries: [String: Entry] = [:]

    public init(path: String) { self.path = path }

    /// Reads the manifest at `path` (an absent file is an empty manifest).
    public static func load(_ path: String) throws(ManifestError) -> UploadManifest {
        var manifest = UploadManifest(path: path)
        guard access(path, F_OK) == 0 else { return manifest }
        let bytes: [UInt8]
        do { bytes = try FileByteSource(path: path).readAll() } catch { throw ManifestError("\(path): cannot read (\(error))") }
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch { throw ManifestError("\(path): not valid JSON (\(error))") }
        guard case .object(let top) = root, case .object(let uploads)? = top["uploads"] else {
            throw ManifestError("\(path): not a preflight upload manifest (no \"uploads\" object)")
        }
        for (sha, value) in uploads {
            guard case .object(let o) = value, case .string(let key)? = o["image_key"], !key.isEmpty else {
                throw ManifestError("\(path): uploads.\(sha) has no image_key")
            }
            func text(_ k: String) -> String? { if case .string(let s)? = o[k] { s } else { nil } }
            manifest.entries[sha] = Entry(sha256: sha, imageKey: key, assetID: text("asset_id"), url: text("url"),
                                          avatarID: text("avatar_id"), avatarStatus: text("avatar_status"),
                                          path: text("path") ?? "", uploadedAt: text("uploaded_at") ?? "")
        }
        return manifest
    }

    public subscript(sha: String) -> Entry? { entries[sha] }

    /// Records `entry` and rewrites the file atomically.
    public mutating func record(_ entry: Entry) throws(ManifestError) {
        entries[entry.sha256] = entry
        try save()
    }

    public func save() throws(ManifestError) {
        func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        var uploads: [String: JSONValue] = [:]
        for (sha, e) in entries {
            uploads[sha] = [
                "image_key": .string(e.imageKey), "asset_id": optional(e.assetID), "url": optional(e.url),
                "avatar_id": optional(e.avatarID), "avatar_status": optional(e.avatarStatus),
                "path": .string(e.path), "uploaded_at": .string(e.uploadedAt),
            ]
        }
        let doc: JSONValue = ["schema_version": 1, "uploads": .object(uploads)]
        do { try AtomicFile.write(doc.pretty() + "\n", to: path) } catch { throw ManifestError("\(path): cannot write (\(error))") }
    }

    /// An exclusive lock on `manifest.lock` beside the manifest, held until `release` (or the
    /// process ends: the kernel drops flock locks of a killed process).
    public final class Lock: @unchecked Sendable {
        private let fd: Int32
        public let path: String
        /// Takes the lock; when another run holds it, `waiting` is called once and the lock is
        /// waited for.
        public init(manifest: String, waiting: () -> Void) throws(ManifestError) {
            path = manifest + ".lock"
            fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw ManifestError("\(path): cannot create the lock file (errno \(errno))") }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                waiting()
                guard flock(fd, LOCK_EX) == 0 else {
                    close(fd)
                    throw ManifestError("\(path): cannot lock (errno \(errno))")
                }
            }
        }
        public func release() {
            flock(fd, LOCK_UN)
            close(fd)
        }
        deinit {}
    }
}

public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
