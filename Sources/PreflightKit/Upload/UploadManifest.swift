#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PhotoCodec

/// What has been uploaded, keyed by content SHA-256: a photo whose bytes are already here is not
/// uploaded again, whatever its name or path. Saved atomically after every change; a lock file
/// keeps two runs from writing the same manifest at once.
///
/// An upload is recorded "in flight" before its first byte is sent and moved to `uploads` when
/// the service returns its image_key. An entry still in flight when a run starts belongs to a run
/// that was killed or lost its connection mid-upload: the service may have kept that body, and
/// HeyGen's documented API cannot look an asset up by its content, so sending it again may make a
/// duplicate asset. The run says so.
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

    /// An upload that was started and not known to have finished or failed.
    public struct InFlight: Sendable, Equatable {
        public var path: String
        public var startedAt: String
        public init(path: String, startedAt: String) {
            self.path = path
            self.startedAt = startedAt
        }
    }

    public let path: FilePath
    public private(set) var entries: [String: Entry] = [:]
    /// Content SHA-256 → the upload begun for it (by this run or an interrupted one).
    public private(set) var inFlight: [String: InFlight] = [:]

    public init(path: FilePath) { self.path = path }

    /// Reads the manifest at `path` (an absent file is an empty manifest).
    public static func load(_ path: FilePath) throws(ManifestError) -> UploadManifest {
        var manifest = UploadManifest(path: path)
        guard path.withCString({ access($0, F_OK) }) == 0 else { return manifest }
        let bytes: [UInt8]
        do { bytes = try FileByteSource(path: path).readAll() } catch { throw ManifestError("\(path.display): cannot read (\(error))") }
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch { throw ManifestError("\(path.display): not valid JSON (\(error))") }
        guard case .object(let top) = root, case .object(let uploads)? = top["uploads"] else {
            throw ManifestError("\(path.display): not a preflight upload manifest (no \"uploads\" object)")
        }
        if case .object(let pending)? = top["in_flight"] {
            for (sha, value) in pending {
                guard case .object(let o) = value else { throw ManifestError("\(path.display): in_flight.\(sha) is not an object") }
                func text(_ k: String) -> String { if case .string(let s)? = o[k] { s } else { "" } }
                manifest.inFlight[sha] = InFlight(path: text("path"), startedAt: text("started_at"))
            }
        }
        for (sha, value) in uploads {
            guard case .object(let o) = value, case .string(let key)? = o["image_key"], !key.isEmpty else {
                throw ManifestError("\(path.display): uploads.\(sha) has no image_key")
            }
            func text(_ k: String) -> String? { if case .string(let s)? = o[k] { s } else { nil } }
            manifest.entries[sha] = Entry(sha256: sha, imageKey: key, assetID: text("asset_id"), url: text("url"),
                                          avatarID: text("avatar_id"), avatarStatus: text("avatar_status"),
                                          path: text("path") ?? "", uploadedAt: text("uploaded_at") ?? "")
        }
        return manifest
    }

    public subscript(sha: String) -> Entry? { entries[sha] }

    /// Records `entry` (no longer in flight) and rewrites the file atomically.
    public mutating func record(_ entry: Entry) throws(ManifestError) {
        entries[entry.sha256] = entry
        inFlight[entry.sha256] = nil
        try save()
    }

    /// Records, before any byte is sent, that `sha`'s upload begins.
    public mutating func begin(_ sha: String, path: String, at time: String) throws(ManifestError) {
        inFlight[sha] = InFlight(path: path, startedAt: time)
        try save()
    }

    /// Forgets an upload the service answered with a refusal: it kept nothing.
    public mutating func abandon(_ sha: String) throws(ManifestError) {
        guard inFlight.removeValue(forKey: sha) != nil else { return }
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
        var pending: [String: JSONValue] = [:]
        for (sha, p) in inFlight { pending[sha] = ["path": .string(p.path), "started_at": .string(p.startedAt)] }
        let doc: JSONValue = ["schema_version": 1, "uploads": .object(uploads), "in_flight": .object(pending)]
        do { try AtomicFile.write(doc.pretty() + "\n", to: path) } catch { throw ManifestError("\(path.display): cannot write (\(error))") }
    }

    /// An exclusive lock on `manifest.lock` beside the manifest, held until `release` (or the
    /// process ends: the kernel drops flock locks of a killed process).
    public final class Lock: @unchecked Sendable {
        private let fd: Int32
        public let path: FilePath
        /// Takes the lock; when another run holds it, `waiting` is called once and the lock is
        /// waited for.
        public convenience init(manifest: String, waiting: () -> Void) throws(ManifestError) {
            try self.init(manifest: FilePath(manifest), waiting: waiting)
        }

        public init(manifest: FilePath, waiting: () -> Void) throws(ManifestError) {
            path = FilePath(bytes: manifest.bytes + Array(".lock".utf8))
            fd = path.withCString { open($0, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644) }
            guard fd >= 0 else { throw ManifestError("\(path.display): cannot create the lock file (\(String(cString: strerror(errno))))") }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                waiting()
                guard flock(fd, LOCK_EX) == 0 else {
                    close(fd)
                    throw ManifestError("\(path.display): cannot lock (\(String(cString: strerror(errno))))")
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
