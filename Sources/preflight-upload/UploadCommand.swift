#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AvatarUpload
import CommandLineKit
import FaceFinder
import PhotoCodec
import PreflightKit

/// `preflight upload PATH...`: check, then upload what passes, each distinct content once.
enum UploadCommand {
    enum Outcome: Sendable {
        case uploaded(UploadManifest.Entry)
        case already(UploadManifest.Entry, sameAs: String?)
        case refused([String])
        case failed(String)
        case wouldUpload(String)
    }

    static func run(_ args: [FilePath]) async throws(UsageError) -> ExitCode {
        let a = try Arguments(
            args, valueOptions: ["--profile", "--rules", "--manifest", "--avatar-name", "--endpoint", "--api-endpoint", "--jobs",
                                 "--format", "--api-key-env", "--cascades", "--models", "--detector", "--timeout", "--retries", "--avatar-timeout",
                                 "--memory-limit"],
            flagOptions: ["--create-avatar", "--dry-run", "--help", "-h"])
        if a.flag("--help") || a.flag("-h") {
            Terminal.out(uploadHelp)
            return .success
        }
        guard !a.positionalPaths.isEmpty else { throw UsageError("upload needs at least one file or folder (see preflight help upload)") }
        let configuration = try loadConfiguration(a.path("--rules"))
        let profile = try selectProfile(configuration, a.value("--profile"))
        let json = try a.choice("--format", OutputFormat.self).map { f throws(UsageError) -> Bool in
            guard f == .text || f == .json else { throw UsageError("upload --format takes text or json") }
            return f == .json
        } ?? false
        let jobs = try a.integer("--jobs", in: OptionRange.jobs) ?? 4
        let memory = try memoryBudget(a)
        let dryRun = a.flag("--dry-run"), createAvatar = a.flag("--create-avatar")
        let timeout = try a.integer("--timeout", in: OptionRange.timeout) ?? 60
        let retries = try a.integer("--retries", in: OptionRange.retries) ?? 4
        let avatarTimeout = try a.integer("--avatar-timeout", in: OptionRange.avatarTimeout) ?? 600
        let keyVariable = a.value("--api-key-env") ?? "HEYGEN_API_KEY"
        let apiKey = getenv(keyVariable).map { String(cString: $0) } ?? ""
        if apiKey.isEmpty && !dryRun {
            throw UsageError("no API key: set \(keyVariable) (the key is read from the environment only, never from arguments)")
        }
        // Tests shorten the waits; users never need to.
        let backoff = getenv("PREFLIGHT_BACKOFF_MS").flatMap { Double(String(cString: $0)) }.map { $0 / 1000 } ?? 1
        let pollInterval = getenv("PREFLIGHT_POLL_MS").flatMap { Double(String(cString: $0)) }.map { $0 / 1000 } ?? 5
        let retryAfterCap = getenv("PREFLIGHT_RETRY_AFTER_CAP_S").flatMap { Double(String(cString: $0)) }
            ?? HeyGenClient.defaultRetryAfterCap

        let collected = try collectInputs(a.positionalPaths)
        let inputs = collected.inputs
        let manifestPath = a.path("--manifest") ?? commonRoot(a.positionalPaths).appending("preflight-uploads.json")

        // 1. Check every photo with the profile.
        let finder = try faceFinder(for: profile, cascades: a.value("--cascades"), models: a.value("--models"), detector: a.value("--detector"))
        let checker = Checker(profile: profile, faceFinder: finder, memory: memory)
        // Photos that pass are hashed in the same parallel pass, reading the file in chunks (no
        // photo is held whole in memory until it is sent).
        var checks: [(result: FileResult, sha: String?)] = []
        await runOrdered(count: inputs.count, width: Terminal.processorCount, work: { i -> (result: FileResult, sha: String?) in
            let r = checker.check(path: inputs[i].path)
            guard r.verdict == .pass || r.verdict == .warn else { return (r, nil) }
            return (r, try? SHA256.hex(fileAt: inputs[i].path))
        }, emit: { _, r in checks.append(r) })

        // 2. The manifest, locked for the whole run.
        let lock: UploadManifest.Lock?
        var manifest: UploadManifest
        do {
            lock = dryRun ? nil : try UploadManifest.Lock(manifest: manifestPath) {
                Terminal.err("preflight: another upload is using \(manifestPath.display); waiting for it to finish…\n")
            }
            manifest = try UploadManifest.load(manifestPath)
        } catch {
            throw UsageError(error.message)
        }
        defer { lock?.release() }

        // 3. Decide per photo; one upload per distinct content.
        var outcomes = [Outcome?](repeating: nil, count: inputs.count)
        var firstWithContent: [String: Int] = [:]
        // Only hashes are kept here; each upload reads its file again (thousands of photos must
        // not sit in memory at once) and checks the content did not change in between.
        var toUpload: [(index: Int, sha: String, type: String)] = []
        for (i, (r, hash)) in checks.enumerated() {
            guard let sha = hash else {
                let errors = r.findings.filter { $0.severity == .error }.map { "\($0.ruleID): \($0.message)" }
                let passed = r.verdict == .pass || r.verdict == .warn
                outcomes[i] = passed ? .failed("the file could not be read again to hash it")
                    : .refused(errors.isEmpty ? ["fails the profile's checks"] : errors)
                continue
            }
            if let entry = manifest[sha] {
                outcomes[i] = .already(entry, sameAs: nil)
                if createAvatar && entry.avatarID == nil && !dryRun {
                    toUpload.append((i, sha, ""))  // avatar only
                }
                continue
            }
            if let first = firstWithContent[sha] {
                outcomes[i] = .already(UploadManifest.Entry(sha256: sha, imageKey: "", assetID: nil, url: nil, path: "", uploadedAt: ""),
                                       sameAs: inputs[first].displayPath)
                continue
            }
            firstWithContent[sha] = i
            let type = r.header?.format == .png ? "image/png" : "image/jpeg"
            if dryRun { outcomes[i] = .wouldUpload(type) } else { toUpload.append((i, sha, type)) }
        }

        // 4. Upload with bounded concurrency; the manifest is rewritten after every success.
        // Contents an interrupted run left in flight may already be on the service.
        let interrupted = manifest.inFlight
        var mayDuplicate = Set<Int>()
        if !toUpload.isEmpty {
            var client = HeyGenClient(apiKey: apiKey,
                                      uploadEndpoint: a.value("--endpoint") ?? HeyGenClient.defaultUploadEndpoint,
                                      apiEndpoint: a.value("--api-endpoint") ?? HeyGenClient.defaultAPIEndpoint,
                                      timeout: Double(timeout), retries: retries, backoff: backoff)
            client.retryAfterCap = retryAfterCap
            let avatarName = a.value("--avatar-name")
            let known = manifest.entries
            await withTaskGroup(of: (Int, Result<UploadManifest.Entry, UploadError>).self) { group in
                var next = 0
                func start(_ k: Int) {
                    let job = toUpload[k]
                    let input = inputs[job.index]
                    let display = input.displayPath
                    client.onRetry = { notice in
                        guard notice.wait >= 1 || notice.retryAfter != nil else { return }
                        var text = "preflight: \(display): \(notice.reason); retrying in \(Int(notice.wait.rounded(.up))) s"
                        if let asked = notice.retryAfter, asked > notice.cap {
                            text += " (the server asked for \(Int(asked)) s; waits are capped at \(Int(notice.cap)) s)"
                        }
                        Terminal.err(text + "\n")
                    }
                    let c = client
                    let uploading = known[job.sha] == nil
                    if uploading {
                        if interrupted[job.sha] != nil { mayDuplicate.insert(job.index) }
                        // On record before the first byte is sent, so a kill mid-upload is known next time.
                        do {
                            try manifest.begin(job.sha, path: display, at: timestamp())
                        } catch {
                            group.addTask {
                                (job.index, .failure(UploadError(message: "not sent: \(error.message)", status: nil, retryable: false)))
                            }
                            return
                        }
                    }
                    group.addTask {
                        var entry: UploadManifest.Entry
                        if let existing = known[job.sha] {
                            entry = existing
                        } else {
                            if let size = try? FileByteSource(path: input.path).count, size > HeyGenClient.maxAssetBytes {
                                return (job.index, .failure(UploadError(
                                    message: "\(size) bytes is more than HeyGen's asset upload takes (\(HeyGenClient.maxAssetBytes) bytes)",
                                    status: nil, retryable: false)))
                            }
                            guard let bytes = try? FileByteSource(path: input.path).readAll(), SHA256.hex(bytes) == job.sha else {
                                return (job.index, .failure(UploadError(message: "the file changed or vanished while the run was going on",
                                                                        status: nil, retryable: false)))
                            }
                            do throws(UploadError) {
                                let asset = try await c.uploadAsset(bytes, contentType: job.type)
                                entry = UploadManifest.Entry(sha256: job.sha, imageKey: asset.imageKey, assetID: asset.id, url: asset.url,
                                                             path: display, uploadedAt: timestamp())
                            } catch {
                                return (job.index, .failure(error))
                            }
                        }
                        if createAvatar {
                            entry = await makeAvatar(c, entry: entry, name: avatarName ?? baseName(display),
                                                     pollInterval: pollInterval, timeout: Double(avatarTimeout))
                        }
                        return (job.index, .success(entry))
                    }
                }
                // Bodies are held while they are sent: at most --jobs uploads at once, and together
                // within the memory limit (one always goes, however large: it is at most 32 MB).
                var running = 0, holding = 0
                var sizes: [Int: Int] = [:]
                func startMore() {
                    while next < toUpload.count && running < jobs {
                        let size = known[toUpload[next].sha] == nil ? ((try? FileByteSource(path: inputs[toUpload[next].index].path).count) ?? 0) : 0
                        if running > 0 && holding + size > memory.limit { return }
                        sizes[toUpload[next].index] = size
                        holding += size
                        running += 1
                        start(next)
                        next += 1
                    }
                }
                startMore()
                while let (index, result) = await group.next() {
                    switch result {
                    case .success(let entry):
                        do {
                            try manifest.record(entry)
                            if case .already? = outcomes[index] { outcomes[index] = .already(entry, sameAs: nil) }
                            else { outcomes[index] = .uploaded(entry) }
                        } catch {
                            outcomes[index] = .failed("uploaded as \(entry.imageKey), but the manifest could not be saved: \(error)")
                        }
                    case .failure(let error):
                        // An answer from the service (or no send at all) means it kept nothing; a timeout or a
                        // dropped connection leaves the upload in flight: the body may have arrived.
                        if !error.bodyMayHaveArrived, let sha = toUpload.first(where: { $0.index == index })?.sha {
                            try? manifest.abandon(sha)
                        }
                        outcomes[index] = .failed(error.message)
                    }
                    running -= 1
                    holding -= sizes.removeValue(forKey: index) ?? 0
                    startMore()
                }
            }
        }

        // 5. Report.
        var failed = 0
        var lines = ""
        var entries: [JSONValue] = []
        for (i, outcome) in outcomes.enumerated() {
            let path = inputs[i].displayPath
            var e: [String: JSONValue] = ["path": .string(path), "image_key": .null, "avatar_id": .null, "avatar_status": .null,
                                          "reasons": .array([]), "may_duplicate": .bool(mayDuplicate.contains(i))]
            switch outcome {
            case .uploaded(let entry)?:
                lines += "UPLOADED \(path) → \(entry.imageKey)\(avatarText(entry))"
                if let earlier = interrupted[entry.sha256], mayDuplicate.contains(i) {
                    lines += " (may duplicate the upload an interrupted run began at \(earlier.startedAt))"
                }
                lines += "\n"
                e["outcome"] = "uploaded"
                fill(&e, entry)
            case .already(let entry, let sameAs)?:
                if let sameAs {
                    lines += "SAME     \(path): same content as \(sameAs), uploaded once\n"
                    e["outcome"] = "same_content"
                    e["same_as"] = .string(sameAs)
                } else {
                    lines += "ALREADY  \(path) → \(entry.imageKey) (uploaded before\(entry.path.isEmpty || entry.path == path ? "" : " as \(entry.path)"))\(avatarText(entry))\n"
                    e["outcome"] = "already_uploaded"
                    fill(&e, entry)
                }
                if createAvatar, entry.avatarStatus == "failed" { failed += 1 }
            case .refused(let reasons)?:
                failed += 1
                lines += "REFUSED  \(path): fails the \(profile.name) checks (try preflight fix)\n"
                for r in reasons { lines += "    ✗ \(r)\n" }
                e["outcome"] = "refused"
                e["reasons"] = .array(reasons.map(JSONValue.string))
            case .failed(let message)?:
                failed += 1
                lines += "FAILED   \(path): \(message)\n"
                e["outcome"] = "failed"
                e["reasons"] = .array([.string(message)])
            case .wouldUpload(let type)?:
                lines += "WOULD UPLOAD \(path) (\(type))\n"
                e["outcome"] = "would_upload"
            case nil:
                failed += 1
                lines += "FAILED   \(path): not attempted\n"
                e["outcome"] = "failed"
            }
            if case .uploaded(let entry)? = outcome, createAvatar, entry.avatarStatus != "completed" { failed += 1 }
            entries.append(.object(e))
        }
        let counts = "\(inputs.count) photos: \(outcomes.filter { if case .uploaded? = $0 { true } else { false } }.count) uploaded, "
            + "\(outcomes.filter { if case .already? = $0 { true } else { false } }.count) already uploaded, "
            + "\(outcomes.filter { if case .refused? = $0 { true } else { false } }.count) refused, "
            + "\(outcomes.filter { if case .failed? = $0 { true } else { false } }.count) failed."
            + (mayDuplicate.isEmpty ? "" : " \(mayDuplicate.count) upload\(mayDuplicate.count == 1 ? "" : "s") may duplicate "
               + "an asset that an interrupted earlier run sent (HeyGen's API cannot look an asset up by its content).")
        if json {
            let doc: JSONValue = ["tool": .string("preflight \(toolVersion)"), "profile": .string(profile.name),
                                  "manifest": .string(manifestPath.display), "dry_run": .bool(dryRun), "files": .array(entries),
                                  "may_duplicate": .integer(mayDuplicate.count)]
            Terminal.out(doc.pretty() + "\n")
        } else {
            Terminal.out(lines + "\n" + counts + (dryRun ? "" : " Manifest: \(manifestPath.display)") + "\n")
        }
        return failed > 0 ? .failure : .success
    }

    static func fill(_ e: inout [String: JSONValue], _ entry: UploadManifest.Entry) {
        e["image_key"] = .string(entry.imageKey)
        e["avatar_id"] = entry.avatarID.map(JSONValue.string) ?? .null
        e["avatar_status"] = entry.avatarStatus.map(JSONValue.string) ?? .null
    }

    static func avatarText(_ e: UploadManifest.Entry) -> String {
        guard let id = e.avatarID else { return "" }
        return ", avatar \(id) \(e.avatarStatus ?? "pending")"
    }

    /// Creates the photo avatar and polls until it is completed or failed (or the time is up).
    static func makeAvatar(_ client: HeyGenClient, entry: UploadManifest.Entry, name: String, pollInterval: Double,
                           timeout: Double) async -> UploadManifest.Entry {
        var entry = entry
        do {
            if entry.avatarID == nil || entry.avatarStatus == "failed" {
                let created = try await client.createAvatarGroup(imageKey: entry.imageKey, name: name)
                entry.avatarID = created.id
                entry.avatarStatus = created.status
            }
            let deadline = monotonicNow() + timeout
            while let id = entry.avatarID, entry.avatarStatus != "completed", entry.avatarStatus != "failed" {
                if monotonicNow() > deadline {
                    entry.avatarStatus = "timed out"
                    break
                }
                try? await Task.sleep(nanoseconds: UInt64(pollInterval * 1e9))
                entry.avatarStatus = try await client.avatarStatus(id: id)
            }
        } catch {
            entry.avatarStatus = "error: \(error.message)"
        }
        return entry
    }

    static func baseName(_ path: String) -> String {
        var name = String(path.split(separator: "/").last ?? Substring(path))
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        return name
    }

    /// The deepest folder holding every path (a file's own folder).
    static func commonRoot(_ paths: [FilePath]) -> FilePath {
        func folder(_ p: FilePath) -> [ArraySlice<UInt8>] {
            var info = stat()
            let parts = p.bytes.split(separator: 0x2F, omittingEmptySubsequences: false)
            if p.withCString({ stat($0, &info) }) == 0, (info.st_mode & S_IFMT) == S_IFDIR { return parts }
            return Array(parts.dropLast())
        }
        var common = folder(paths[0])
        for p in paths.dropFirst() {
            let f = folder(p)
            var n = 0
            while n < common.count && n < f.count && common[n] == f[n] { n += 1 }
            common = Array(common.prefix(n))
        }
        let joined = FilePath(bytes: Array(common.joined(separator: [0x2F])))
        return joined.isEmpty ? (paths[0].isAbsolute ? "/" : ".") : joined
    }

    static func timestamp() -> String {
        var t = time(nil)
        var tm = tm()
        gmtime_r(&t, &tm)
        var buffer = [CChar](repeating: 0, count: 32)
        let n = strftime(&buffer, 32, "%Y-%m-%dT%H:%M:%SZ", &tm)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Seconds on the monotonic clock.
func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let uploadHelp = """
    usage: preflight upload PATH... [options]

    Checks every photo with the profile, then uploads those that pass to HeyGen's asset upload
    and records each content's image_key in a manifest, so nothing is uploaded twice.
    The API key is read from HEYGEN_API_KEY (or --api-key-env NAME) and never printed.

      --profile NAME        profile the photos must pass (default: the rules file's default)
      --rules FILE          rules file (default: the built-in rules.json)
      --manifest FILE       upload record (default: preflight-uploads.json in the inputs' common folder)
      --create-avatar       also create a HeyGen photo avatar from each upload and wait for it
      --avatar-name NAME    the avatar's name (default: the file name)
      --avatar-timeout S    how long to wait for an avatar (1–86400; default 600)
      --endpoint URL        upload host (default https://upload.heygen.com)
      --api-endpoint URL    API host (default https://api.heygen.com)
      --jobs N              uploads at once (1–1024; default 4)
      --timeout S           per-request timeout in seconds (1–3600; default 60)
      --retries N           retries on connection errors, timeouts, 429 and 5xx (0–20; default 4)
      --memory-limit MIB    memory checks and photos being sent may hold at once (64–1048576; default 192)
      --dry-run             check and list what would be uploaded; upload nothing
      --format text|json    report format (default text)
      --api-key-env NAME    read the key from this variable instead
      --cascades DIR        folder with opencv-data's cascades

    Redirects are refused (the key goes to the configured hosts only). An upload is recorded in the
    manifest as begun before its first byte is sent; if a run is killed mid-upload, the next run
    sends it again and says it may be a duplicate (HeyGen's API cannot look an asset up by content).

    Exit codes: 0 everything uploaded or already uploaded, 1 a photo was refused or failed, 2 usage error.

    """
