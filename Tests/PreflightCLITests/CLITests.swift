import Foundation
import Testing

let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The built `preflight`, beside this test bundle in the build folder.
let binary: String = {
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [here.appendingPathComponent("preflight").path, root + "/.build/debug/preflight"]
    where FileManager.default.isExecutableFile(atPath: candidate) {
        return candidate
    }
    return root + "/.build/debug/preflight"
}()

/// Fixtures/photos are synthetic format and decoding cases without faces: checked with the face
/// rules off. Fixtures/eval holds the real-face set.
let formatOnly = "Fixtures/format-only-rules.json"

struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Where the binary finds the face model: passed through from the test's own environment (the
/// fixed environment of the runs below has no HOME otherwise).
let modelEnvironment = ProcessInfo.processInfo.environment.filter { ["HOME", "XDG_DATA_HOME", "PREFLIGHT_MODELS"].contains($0.key) }

/// Runs the real binary from the repository root, with a fixed environment (no colour, no TTY).
func preflight(_ args: [String], environment: [String: String] = [:]) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = args
    process.currentDirectoryURL = URL(fileURLWithPath: root)
    var env = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"].merging(modelEnvironment) { $1 }
    env.merge(environment) { $1 }
    process.environment = env
    let dir = FileManager.default.temporaryDirectory
    let out = dir.appendingPathComponent("out-\(UUID())"), err = dir.appendingPathComponent("err-\(UUID())")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: out)
        try? FileManager.default.removeItem(at: err)
    }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return Run(status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
               stderr: try String(contentsOf: err, encoding: .utf8))
}

/// Compares with Fixtures/golden/NAME; PREFLIGHT_RECORD=1 rewrites the golden file instead.
func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let path = root + "/Fixtures/golden/" + name
    if ProcessInfo.processInfo.environment["PREFLIGHT_RECORD"] == "1" {
        try FileManager.default.createDirectory(atPath: root + "/Fixtures/golden", withIntermediateDirectories: true)
        try actual.write(toFile: path, atomically: true, encoding: .utf8)
        return
    }
    let expected = try String(contentsOfFile: path, encoding: .utf8)
    if actual != expected {
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
        Issue.record("\(name) differs at line \(line + 1):\n  expected: \(line < e.count ? e[line] : "<end>")\n  actual:   \(line < a.count ? a[line] : "<end>")\n(PREFLIGHT_RECORD=1 re-records)", sourceLocation: sourceLocation)
    }
}

func sha(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

@Suite("preflight binary end to end", .serialized)
struct CLITests {
    @Test("text report on the bundled fixtures matches the golden file; exit 1", arguments: ["text", "json", "junit", "github"])
    func goldenReports(_ format: String) throws {
        let r = try preflight(["check", "--rules", formatOnly, "Fixtures/photos", "--format", format, "--jobs", "3"])
        #expect(r.status == 1)
        #expect(r.stderr.isEmpty)
        try expectGolden(r.stdout, "check.\(format == "junit" ? "junit.xml" : format == "json" ? "json" : "\(format).txt")")
    }

    @Test("output order does not depend on --jobs")
    func orderStable() throws {
        let one = try preflight(["check", "--rules", formatOnly, "Fixtures/photos", "--format", "json", "--jobs", "1"])
        let many = try preflight(["check", "--rules", formatOnly, "Fixtures/photos", "--format", "json", "--jobs", "8"])
        #expect(one.stdout == many.stdout)
    }

    @Test("exit 0 when every file passes; warnings allowed; --strict makes them fail")
    func exitCodes() throws {
        #expect(try preflight(["check", "--rules", formatOnly, "Fixtures/photos/good"]).status == 0)
        #expect(try preflight(["check", "--rules", formatOnly, "Fixtures/photos/fixable/gps-location.jpg"]).status == 0)
        let strict = try preflight(["check", "--rules", formatOnly, "--strict", "Fixtures/photos/fixable/gps-location.jpg"])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("(failing: --strict)"))
        #expect(try preflight(["check", "--rules", formatOnly, "Fixtures/photos/bad/too-small-400x300.jpg"]).status == 1)
        #expect(try preflight(["check", "--rules", formatOnly, "Fixtures/photos/fixable/cmyk-adobe-600x600.jpg"]).status == 1)
    }

    @Test("usage and configuration errors exit 2 with a clear message", arguments: [
        (["check"], "check needs at least one file or folder"),
        (["check", "--frobnicate", "x"], "unknown option --frobnicate"),
        (["check", "Fixtures/nope.jpg"], "no such file or folder: Fixtures/nope.jpg"),
        (["check", "--profile", "tiktok", "Fixtures/photos"], "unknown profile \"tiktok\""),
        (["check", "--format", "xml", "Fixtures/photos"], "--format takes one of text, json, junit, github"),
        (["check", "--jobs", "0", "Fixtures/photos"], "--jobs takes a whole number from 1 to 1024, not \"0\""),
        // Before every numeric option had a range, this one crashed (SIGILL: width * 8 overflowed).
        (["check", "--jobs", "1152921504606846976", "Fixtures/photos"], "--jobs takes a whole number from 1 to 1024"),
        (["check", "--jobs", "99999999999999999999999", "Fixtures/photos"], "--jobs takes a whole number from 1 to 1024"),
        (["fix", "--out", "/nonexistent/x", "--max-upscale", "nan", "Fixtures/eval"], "--max-upscale takes a number from 1 to 16"),
        (["fix", "--out", "/nonexistent/x", "--max-upscale", "inf", "Fixtures/eval"], "--max-upscale takes a number from 1 to 16"),
        (["fix", "--out", "/nonexistent/x", "--quality-floor", "96", "Fixtures/eval"], "--quality-floor takes a whole number from 1 to 95"),
        (["fix", "--out", "/nonexistent/x", "--max-bytes", "0", "Fixtures/eval"], "--max-bytes takes a whole number from 1 to 1000000000"),
        (["fix", "--out", "/nonexistent/x", "--jobs", "-1", "Fixtures/eval"], "--jobs takes a whole number from 1 to 1024"),
        (["upload", "--retries", "21", "Fixtures/eval"], "--retries takes a whole number from 0 to 20"),
        (["upload", "--timeout", "0", "Fixtures/eval"], "--timeout takes a whole number from 1 to 3600"),
        (["upload", "--jobs", "4611686018427387904", "Fixtures/eval"], "--jobs takes a whole number from 1 to 1024"),
        (["check", "--memory-limit", "63", "Fixtures/photos"], "--memory-limit takes a whole number from 64 to 1048576"),
        (["check", "--rules", "Fixtures/no-rules.json", "Fixtures/photos"], "Fixtures/no-rules.json: cannot read the rules file"),
        (["launch"], "unknown command \"launch\""),
    ])
    func usageErrors(_ args: [String], _ message: String) throws {
        let r = try preflight(args)
        #expect(r.status == 2)
        #expect(r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test("a rules file with a typo is refused with its JSON path")
    func badRulesFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID()).json").path
        try #"{"version": 1, "profiles": {"heygen-photo": {"rules": {"file_size": {"max_byts": 1}}}}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try preflight(["check", "--rules", path, "Fixtures/photos/good"])
        #expect(r.status == 2)
        #expect(r.stderr == "preflight: \(path): profiles.heygen-photo.rules.file_size.max_byts: unknown key (file_size takes: severity, max_bytes)\n")
    }

    @Test("--output writes the report atomically and prints the summary; originals untouched")
    func outputFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inputs = try FileManager.default.subpathsOfDirectory(atPath: root + "/Fixtures/photos").sorted()
        let before = try inputs.map { p -> Data? in
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/Fixtures/photos/" + p, isDirectory: &isDir)
            return isDir.boolValue ? nil : try sha(root + "/Fixtures/photos/" + p)
        }
        let r = try preflight(["check", "--rules", formatOnly, "Fixtures/photos", "--format", "junit", "--output", dir + "/report.xml"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("files checked with profile format-only"))
        let xml = try String(contentsOfFile: dir + "/report.xml", encoding: .utf8)
        #expect(xml.hasPrefix("<?xml"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["report.xml"])
        let after = try inputs.map { p -> Data? in
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/Fixtures/photos/" + p, isDirectory: &isDir)
            return isDir.boolValue ? nil : try sha(root + "/Fixtures/photos/" + p)
        }
        #expect(before == after)
    }

    @Test("header-only mode reads headers only")
    func headerOnly() throws {
        let r = try preflight(["check", "--header-only", "Fixtures/photos/bad/truncated.jpg", "Fixtures/photos/bad/bomb-30000x30000.png"])
        #expect(r.stdout.contains("PASS    Fixtures/photos/bad/truncated.jpg"))
        #expect(r.stdout.contains("FAIL    Fixtures/photos/bad/bomb-30000x30000.png"))
        #expect(r.stdout.contains("Header-only"))
    }

    @Test("--quiet lists only files that do not pass")
    func quiet() throws {
        let r = try preflight(["check", "--quiet", "Fixtures/photos"])
        #expect(!r.stdout.contains("PASS "))
        #expect(r.stdout.contains("FAIL    Fixtures/photos/bad/empty.jpg"))
    }

    @Test("no colour codes when stdout is not a terminal, even with FORCE-like variables")
    func noColour() throws {
        let r = try preflight(["check", "--rules", formatOnly, "Fixtures/photos/good"], environment: ["TERM": "xterm-256color", "CLICOLOR_FORCE": "1"])
        #expect(!r.stdout.contains("\u{1B}["))
    }

    @Test("rules, --help and --version")
    func informational() throws {
        let rules = try preflight(["rules", "--profile", "heygen-avatar-iv"])
        #expect(rules.status == 0)
        #expect(rules.stdout.contains("recommended_short_side = 720"))
        #expect(rules.stdout.contains("file_size [error]"))
        let schema = try preflight(["rules", "--schema"])
        #expect(schema.stdout == (try String(contentsOfFile: root + "/rules.schema.json", encoding: .utf8)))
        #expect(try preflight(["--version"]).stdout.hasPrefix("preflight "))
        #expect(try preflight(["help", "check"]).stdout.contains("--header-only"))
        #expect(try preflight([]).status == 2)
    }

    @Test("a FIFO named like a photo is a finding, not a hang")
    func fifo() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fifo-\(UUID()).jpg").path
        #expect(mkfifo(path, 0o600) == 0)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try preflight(["check", path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("not a regular file"))
    }
}

@Suite("face analysis, end to end")
struct FaceCLITests {
    /// A set's labels.tsv: file, expected verdict, the rule that must fire.
    static func labels(_ set: String) -> [(file: String, verdict: String, rule: String)] {
        let text = (try? String(contentsOfFile: root + "/" + set + "/labels.tsv", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let f = line.split(separator: "\t").map(String.init)
            return (f[0], f[1], f[2])
        }
    }

    /// Fixtures/eval is committed (one person); Fixtures/fetched/real holds photos of two more
    /// people that scripts/fetch-photos.sh downloads. CI sets PREFLIGHT_REQUIRE_FETCHED=1 so a
    /// missing download fails there instead of passing unchecked.
    @Test("every labelled photo gets its verdict, and each defect is reported by its own rule",
          arguments: ["Fixtures/eval", "Fixtures/fetched/real"])
    func labelledSet(set: String) throws {
        let labels = Self.labels(set)
        if labels.isEmpty && set.hasPrefix("Fixtures/fetched") && ProcessInfo.processInfo.environment["PREFLIGHT_REQUIRE_FETCHED"] == nil {
            return  // not fetched on this machine (offline): nothing to check
        }
        #expect(labels.count >= 15, "\(set)/labels.tsv: run scripts/fetch-photos.sh")
        let r = try preflight(["check", set, "--format", "json"])
        #expect(r.status == 1)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let files = doc["files"] as! [[String: Any]]
        for label in labels {
            guard let file = files.first(where: { ($0["path"] as! String).hasSuffix("/" + label.file) }) else {
                Issue.record("\(label.file) not in the report")
                continue
            }
            let verdict = file["verdict"] as! String
            let findings = file["findings"] as! [[String: Any]]
            let errors = findings.filter { $0["severity"] as! String == "error" }.map { $0["rule"] as! String }
            let warnings = findings.filter { $0["severity"] as! String == "warning" }.map { $0["rule"] as! String }
            let faces = file["faces"] as? [[String: Any]]
            switch label.verdict {
            case "pass":
                #expect(verdict == "pass", "\(label.file): \(findings)")
                #expect(faces?.count == 1, "\(label.file): \(String(describing: faces))")
            case "warn":
                #expect(verdict == "warn", "\(label.file): \(findings)")
                #expect(warnings.contains(label.rule), "\(label.file): \(findings)")
                #expect(faces?.count == 1, "\(label.file): \(String(describing: faces))")
            default:
                #expect(verdict == "fail" || verdict == "fixable", "\(label.file): \(findings)")
                #expect(errors.contains(label.rule), "\(label.file) should fail \(label.rule): \(errors)")
                // A face that is there is never reported as "no face".
                if label.rule != "face_count" { #expect(!errors.contains("face_count"), "\(label.file): \(errors)") }
            }
        }
    }

    @Test("truncated and corrupt photos fail on their data, without face findings about the missing part")
    func damagedDataHasNoFaceFindings() throws {
        let r = try preflight(["check", "--format", "json", "Fixtures/photos/bad/truncated.jpg", "Fixtures/photos/bad/corrupt-data.jpg"])
        #expect(r.status == 1)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let files = doc["files"] as! [[String: Any]]
        #expect(files.count == 2)
        for file in files {
            let rules = (file["findings"] as! [[String: Any]]).map { $0["rule"] as! String }
            #expect(rules.contains("decode"), "\(rules)")
            #expect(!rules.contains { ["face_count", "face_cut_off", "framing"].contains($0) }, "\(file["path"]!): \(rules)")
            #expect(file["faces"] is NSNull)
        }
    }

    @Test("missing cascade files: exit 2 naming the package to install")
    func missingCascades() throws {
        let r = try preflight(["check", "--cascades", "/nonexistent/opencv", "Fixtures/eval/good-centred.jpg"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("apt-get install opencv-data"), "stderr: \(r.stderr)")
        #expect(r.stdout.isEmpty)
        // Without face rules (header-only), no cascades are needed.
        #expect(try preflight(["check", "--header-only", "--cascades", "/nonexistent", "Fixtures/eval/good-centred.jpg"]).status == 0)
    }

    @Test("--debug-dir writes one annotated PNG per analysed photo")
    func debugImages() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("debug-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try preflight(["check", "--debug-dir", dir, "Fixtures/eval/good-centred.jpg", "Fixtures/eval/two-faces.jpg"])
        #expect(r.status == 1)
        let written = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(written == ["Fixtures__eval__good-centred.jpg.png", "Fixtures__eval__two-faces.jpg.png"])
        let png = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + written[0]))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }
}
