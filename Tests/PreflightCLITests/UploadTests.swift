import Foundation
import PhotoCodec
import PreflightKit
import Testing

/// `preflight upload`, end to end: the real binary against FakeHeyGen over loopback HTTP.
@Suite("preflight upload", .serialized)
struct UploadTests {
    static let good = ["good-centred.jpg", "good-mirrored.jpg", "good-brighter.jpg", "good-softer.jpg", "good-wide.jpg"]

    /// A folder holding copies of the named eval photos (so each test has its own manifest).
    static func folder(_ names: [String], extra: [(String, String)] = []) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for n in names { try FileManager.default.copyItem(atPath: root + "/Fixtures/eval/" + n, toPath: dir + "/" + n) }
        for (from, to) in extra { try FileManager.default.copyItem(atPath: root + "/Fixtures/eval/" + from, toPath: dir + "/" + to) }
        return dir
    }

    static func sha(_ path: String) throws -> String {
        SHA256.hex([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    static func manifest(_ dir: String) throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/preflight-uploads.json"))
        let doc = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return doc["uploads"] as! [String: [String: Any]]
    }

    func upload(_ server: FakeHeyGen, key: String, _ args: [String]) throws -> Run {
        try preflight(["upload", "--endpoint", server.url, "--api-endpoint", server.url] + args,
                      environment: ["HEYGEN_API_KEY": key, "PREFLIGHT_BACKOFF_MS": "20", "PREFLIGHT_POLL_MS": "50"])
    }

    @Test("uploads each distinct content once, records image_keys, skips it on the next run; the key is never shown")
    func uploadsOnce() throws {
        let server = try FakeHeyGen()
        defer { server.stop() }
        let dir = try Self.folder(["good-centred.jpg", "good-mirrored.jpg"], extra: [("good-centred.jpg", "copy-of-centred.jpg")])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try upload(server, key: "key-ok", [dir])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("UPLOADED") && r.stdout.contains("→ image/"), "\(r.stdout)")
        #expect(r.stdout.contains("same content as"), "\(r.stdout)")
        let centred = try Self.sha(dir + "/good-centred.jpg"), mirrored = try Self.sha(dir + "/good-mirrored.jpg")
        #expect(server.completed == [centred: 1, mirrored: 1])
        let m = try Self.manifest(dir)
        #expect(Set(m.keys) == [centred, mirrored])
        #expect((m[centred]?["image_key"] as? String)?.hasPrefix("image/") == true)
        #expect(m[centred]?["asset_id"] as? String != nil && m[centred]?["url"] as? String != nil)
        // Again, and under a new name: nothing is uploaded.
        try FileManager.default.copyItem(atPath: dir + "/good-mirrored.jpg", toPath: dir + "/renamed.jpg")
        let again = try upload(server, key: "key-ok", ["--format", "json", dir])
        #expect(again.status == 0)
        let doc = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as! [String: Any]
        let files = doc["files"] as! [[String: Any]]
        #expect(files.count == 4)
        #expect(files.allSatisfy { $0["outcome"] as? String == "already_uploaded" }, "\(files)")
        let renamed = try #require(files.first { ($0["path"] as! String).hasSuffix("renamed.jpg") })
        #expect(renamed["image_key"] as? String == m[mirrored]?["image_key"] as? String)
        #expect(server.completed == [centred: 1, mirrored: 1])
        #expect(server.keysSeen.allSatisfy { $0 == "key-ok" })
        let manifestText = try String(contentsOfFile: dir + "/preflight-uploads.json", encoding: .utf8)
        for text in [r.stdout, r.stderr, again.stdout, again.stderr, manifestText] { #expect(!text.contains("key-ok")) }
    }

    @Test("photos that fail the checks are refused, not uploaded; --dry-run uploads nothing")
    func refusedAndDryRun() throws {
        let server = try FakeHeyGen()
        defer { server.stop() }
        let dir = try Self.folder(["blurred.jpg", "good-centred.jpg"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dry = try upload(server, key: "key-ok", ["--dry-run", dir])
        #expect(dry.stdout.contains("WOULD UPLOAD") && dry.stdout.contains("REFUSED"), "\(dry.stdout)")
        #expect(server.requests.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir + "/preflight-uploads.json"))
        let r = try upload(server, key: "key-ok", [dir])
        #expect(r.status == 1)
        #expect(r.stdout.contains("REFUSED") && r.stdout.contains("sharpness") && r.stdout.contains("preflight fix"), "\(r.stdout)")
        #expect(server.completed.count == 1)
    }

    @Test("retries 429 (honouring Retry-After), 500 and a dropped connection, then succeeds", arguments: ["key-429", "key-500", "key-drop"])
    func retries(key: String) throws {
        let server = try FakeHeyGen()
        defer { server.stop() }
        let dir = try Self.folder(["good-centred.jpg"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let start = Date()
        let r = try upload(server, key: key, [dir])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(server.requests.filter { $0 == "POST /v1/asset" }.count == 2)
        #expect(server.completed.values.reduce(0, +) == 1)
        if key == "key-429" {
            #expect(Date().timeIntervalSince(start) >= 1, "Retry-After: 1 was not honoured")
            #expect(r.stderr.contains("good-centred.jpg: HTTP 429: Too many requests; retrying in 1 s"), "\(r.stderr)")
        }
    }

    @Test("a long Retry-After is said, with the cap it is cut to, not waited out silently")
    func longRetryAfterIsSaid() throws {
        let server = try FakeHeyGen()
        defer { server.stop() }
        let dir = try Self.folder(["good-centred.jpg"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try preflight(["upload", "--endpoint", server.url, dir],
                              environment: ["HEYGEN_API_KEY": "key-429-long", "PREFLIGHT_BACKOFF_MS": "20",
                                            "PREFLIGHT_RETRY_AFTER_CAP_S": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("retrying in 1 s (the server asked for 3600 s; waits are capped at 1 s)"), "\(r.stderr)")
    }

    @Test("after dropped connections the retries go out at once, not after the whole --timeout")
    func droppedConnectionsRetryPromptly() throws {
        let server = try FakeHeyGen()
        defer { server.stop() }
        let dir = try Self.folder(Self.good)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let start = Date()
        let r = try upload(server, key: "key-drop", ["--timeout", "30", dir])
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(server.completed.count == 5 && server.completed.values.allSatisfy { $0 == 1 }, "\(server.completed)")
        // Before each attempt had a session of its own, two of the five retries waited out the
        // 30 s timeout on a dead pooled connection.
        #expect(elapsed < 25, "took \(elapsed) s")
    }

    @Test("redirects are refused: the key never reaches the other host and nothing is recorded",
          arguments: ["key-301", "key-302", "key-307"])
    func redirectsRefused(key: String) throws {
        let server = try FakeHeyGen(), elsewhere = try FakeHeyGen()
        defer { server.stop(); elsewhere.stop() }
        server.redirectTarget = elsewhere.url + "/v1/asset"
        let dir = try Self.folder(["good-centred.jpg"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try upload(server, key: key, [dir])
        #expect(r.status == 1, "\(r.stdout)")
        #expect(r.stdout.contains("FAILED") && r.stdout.contains("HTTP \(key.dropFirst(4)): the server redirected the request to 127.0.0.1:\(elsewhere.port)"),
                "\(r.stdout)")
        #expect(elsewhere.requests.isEmpty, "\(elsewhere.requests)")
        #expect(server.requests.filter { $0 == "POST /v1/asset" }.count == 1)
        #expect(((try? Self.manifest(dir)) ?? [:]).isEmpty)
        #expect(!r.stdout.contains(key) && !r.stderr.contains(key))
    }

    @Test("an answer that comes before the whole photo was sent is not an upload")
    func earlyAnswerIsNotAnUpload() throws {
        let server = try FakeHeyGen(smallReceiveBuffer: true)
        defer { server.stop() }
        // A photo larger than the loopback socket buffers, so the body cannot all be sent before
        // the answer: noise, checked with the face rules off.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var state: UInt32 = 2_463_534_242
        let noise = (0..<(2400 * 2400 * 3)).map { _ -> UInt8 in
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        var options = JPEGCodec.EncodeOptions()
        options.quality = 95
        let jpeg = try JPEGCodec.encode(Raster(width: 2400, height: 2400, channels: 3, pixels: noise), options: options)
        #expect(jpeg.count > 5_000_000 && jpeg.count < 10_000_000, "\(jpeg.count)")
        try Data(jpeg).write(to: URL(fileURLWithPath: dir + "/noise.jpg"))
        let r = try upload(server, key: "key-early", ["--rules", formatOnly, "--retries", "1", dir])
        #expect(r.status == 1, "\(r.stdout)")
        #expect(r.stdout.contains("FAILED"), "\(r.stdout)")
        #expect(((try? Self.manifest(dir)) ?? [:]).isEmpty)
    }

    @Test("errors are reported with the server's message and not retried; a wrong key says so", arguments: [
        ("key-400", "The image could not be processed"), ("key-413", "File too large"), ("key-malformed", "not JSON"),
        ("wrong-key-123", "HTTP 401: Invalid API key: [API key] (check the API key)"),
        // A key of two characters is still cut out of what the server echoes.
        ("~~", "HTTP 401: Invalid API key: [API key] (check the API key)"),
    ])
    func errors(key: String, message: String) throws {
        let server = try FakeHeyGen()
        defer { server.stop() }
        let dir = try Self.folder(["good-centred.jpg"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try upload(server, key: key, [dir])
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAILED") && r.stdout.contains(message), "\(r.stdout)")
        #expect(server.requests.filter { $0 == "POST /v1/asset" }.count == 1, "\(server.requests)")
        #expect(!r.stdout.contains(key) && !r.stderr.contains(key))
        #expect(((try? Self.manifest(dir)) ?? [:]).isEmpty)
        // The service answered: it kept nothing, so nothing is left in flight.
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/preflight-uploads.json"))) as! [String: Any]
        #expect((doc["in_flight"] as? [String: Any])?.isEmpty == true, "\(doc)")
    }

    @Test("a response that never comes times out, retried, then reported")
    func timeout() throws {
        let server = try FakeHeyGen()
        defer { server.stop() }
        let dir = try Self.folder(["good-centred.jpg"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try upload(server, key: "key-hang", ["--timeout", "1", "--retries", "1", dir])
        #expect(r.status == 1)
        #expect(r.stdout.contains("no response within 1 s"), "\(r.stdout)")
        #expect(server.requests.filter { $0 == "POST /v1/asset" }.count == 2)
        // No answer: the body may have arrived, so the upload stays in flight for the next run.
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/preflight-uploads.json"))) as! [String: Any]
        #expect((doc["in_flight"] as? [String: Any])?.count == 1, "\(doc)")
    }

    @Test("a missing key is a usage error naming the variable")
    func missingKey() throws {
        let r = try preflight(["upload", "Fixtures/eval/good-centred.jpg"])
        #expect(r.status == 2 && r.stderr.contains("HEYGEN_API_KEY"), "\(r.stderr)")
    }

    @Test("--create-avatar creates a photo avatar per upload and waits for it to complete")
    func avatar() throws {
        let server = try FakeHeyGen()
        defer { server.stop() }
        let dir = try Self.folder(["good-centred.jpg"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try upload(server, key: "key-ok", ["--create-avatar", dir])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("avatar avatar-") && r.stdout.contains("completed"), "\(r.stdout)")
        #expect(server.requests.contains("POST /v2/photo_avatar/avatar_group/create"))
        let entry = try Self.manifest(dir).values.first
        #expect(entry?["avatar_status"] as? String == "completed" && (entry?["avatar_id"] as? String)?.hasPrefix("avatar-") == true)
    }

    @Test("killed mid-run, the manifest survives; the re-run uploads only the rest, each content once")
    func killMidRun() throws {
        let server = try FakeHeyGen()
        defer { server.stop() }
        let dir = try Self.folder(Self.good)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["upload", "--endpoint", server.url, "--api-endpoint", server.url, "--jobs", "1", dir]
        process.environment = ["PATH": "/usr/bin:/bin", "HEYGEN_API_KEY": "key-hang-after-2", "PREFLIGHT_BACKOFF_MS": "20"].merging(modelEnvironment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until two photos are on record, then kill it while the third hangs.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let m = try? Self.manifest(dir), m.count == 2, server.requests.filter({ $0 == "POST /v1/asset" }).count >= 3 { break }
            usleep(50_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let survived = try Self.manifest(dir)
        #expect(survived.count == 2)
        // The third upload was recorded as begun before its body went out.
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/preflight-uploads.json"))) as! [String: Any]
        let inFlight = try #require(doc["in_flight"] as? [String: Any])
        #expect(inFlight.count == 1, "\(inFlight)")
        let r = try upload(server, key: "key-ok", [dir])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.components(separatedBy: "UPLOADED").count - 1 == 3, "\(r.stdout)")
        #expect(r.stdout.components(separatedBy: "may duplicate the upload an interrupted run began").count - 1 == 1, "\(r.stdout)")
        #expect(r.stdout.contains("1 upload may duplicate an asset that an interrupted earlier run sent"), "\(r.stdout)")
        let after = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/preflight-uploads.json"))) as! [String: Any]
        #expect((after["in_flight"] as? [String: Any])?.isEmpty == true)
        let all = try Self.good.map { try Self.sha(dir + "/" + $0) }
        #expect(server.completed == Dictionary(uniqueKeysWithValues: all.map { ($0, 1) }), "\(server.completed)")
        #expect(try Self.manifest(dir).count == 5)
    }

    @Test("a second run on the same manifest waits for the lock instead of corrupting it")
    func lockWaits() throws {
        let server = try FakeHeyGen()
        defer { server.stop() }
        let dir = try Self.folder(["good-centred.jpg"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lock = try UploadManifest.Lock(manifest: dir + "/preflight-uploads.json") {}
        // The second run is started while the lock is held and released only once it says it is
        // waiting (however long its check pass takes on a busy machine).
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["upload", "--endpoint", server.url, "--api-endpoint", server.url, dir]
        process.environment = ["PATH": "/usr/bin:/bin", "HEYGEN_API_KEY": "key-ok", "PREFLIGHT_BACKOFF_MS": "20"].merging(modelEnvironment) { $1 }
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("err-\(UUID())")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: err) }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        var said = ""
        while Date() < deadline && process.isRunning {
            said = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            if said.contains("waiting") { break }
            usleep(50_000)
        }
        #expect(said.contains("waiting"), "\(said)")
        usleep(300_000)
        // Nothing was uploaded or recorded while the lock was held.
        #expect(process.isRunning)
        #expect(!server.requests.contains("POST /v1/asset"))
        lock.release()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try Self.manifest(dir).count == 1)
    }
}
