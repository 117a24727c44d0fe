import Foundation
import Testing
import FaceFinder
import PhotoCodec
@testable import PreflightKit

func fixtureBytes(_ relative: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/Fixtures/photos/" + relative)))
}

let defaultChecker = Checker(profile: Configuration.builtin.profiles["heygen-photo"]!)

func rulesFired(_ r: FileResult) -> [String] { r.findings.filter { $0.severity != .info }.map(\.ruleID) }

@Suite("Rules and verdicts")
struct RuleTests {
    @Test("each fixture gets its verdict and the rule that must fire", arguments: [
        ("good/baseline-600x800.jpg", Verdict.pass, [String]()),
        ("good/palette-600x600.png", .pass, []),
        ("good/rgba-opaque-600x600.png", .pass, []),
        ("fixable/cmyk-adobe-600x600.jpg", .fixable, ["format"]),
        ("fixable/arithmetic-600x600.jpg", .fixable, ["format"]),
        ("fixable/exif-rotated-6.jpg", .warn, ["orientation"]),
        ("fixable/gps-location.jpg", .warn, ["metadata"]),
        ("fixable/png-named.jpg", .warn, ["format"]),
        ("fixable/animated-apng.png", .warn, ["format"]),
        ("fixable/transparent-600x600.png", .warn, ["format"]),
        ("fixable/sixteen-bit-600x600.png", .warn, ["format"]),
        ("bad/too-small-400x300.jpg", .fail, ["resolution"]),
        ("bad/truncated.jpg", .fail, ["decode"]),
        ("bad/truncated.png", .fail, ["decode"]),
        ("bad/corrupt-data.jpg", .fail, ["decode"]),
        ("bad/header-cut.jpg", .fail, ["decode"]),
        ("bad/bomb-30000x30000.png", .fail, ["decode"]),
        ("bad/webp-named.jpg", .fail, ["format"]),
        ("bad/empty.jpg", .fail, ["format"]),
        ("bad/saved-error-page.jpg", .fail, ["format"]),
    ])
    func fixtureVerdicts(_ file: String, _ verdict: Verdict, _ rules: [String]) throws {
        let r = defaultChecker.check(bytes: try fixtureBytes(file), path: file)
        #expect(r.verdict == verdict, "\(r.findings)")
        #expect(rulesFired(r) == rules)
    }

    @Test("file_size fails past 10,000,000 bytes, fixably, and passes at the limit")
    func fileSize() throws {
        let jpeg = try fixtureBytes("good/baseline-600x800.jpg")
        let over = jpeg + [UInt8](repeating: 0, count: 10_000_001 - jpeg.count)
        let r = defaultChecker.check(bytes: over, path: "big.jpg")
        #expect(r.verdict == .fixable)
        let f = try #require(r.findings.first { $0.ruleID == "file_size" })
        #expect(f.message == "10 MB (10,000,001 bytes) is over the limit of 10 MB (10,000,000 bytes).")
        let at = jpeg + [UInt8](repeating: 0, count: 10_000_000 - jpeg.count)
        #expect(defaultChecker.check(bytes: at, path: "limit.jpg").verdict == .pass)
    }

    @Test("resolution uses the displayed size after EXIF rotation")
    func rotatedResolution() throws {
        // Stored 600×500, orientation 6: displayed 500×600, too narrow.
        let jpeg = try JPEGCodec.encode(Raster(width: 600, height: 500, fill: [90, 90, 90]))
        let rotated = ContainerEditor.jpeg(jpeg, insertingExif: ContainerEditor.exif(orientation: 6))
        let r = defaultChecker.check(bytes: rotated, path: "r.jpg")
        let f = try #require(r.findings.first { $0.ruleID == "resolution" })
        #expect(f.measured == "500×600")
        #expect(f.message.contains("the width is too small"))
        let plain = try #require(defaultChecker.check(bytes: jpeg, path: "plain.jpg").findings.first { $0.ruleID == "resolution" })
        #expect(plain.measured == "600×500")
        #expect(plain.message.contains("the height is too small"))
    }

    @Test("configured severity caps findings; off disables a rule")
    func severityCeiling() throws {
        let c = try Configuration.load(json: Array(#"""
            {"version": 1, "profiles": {"p": {"rules": {
              "resolution": {"severity": "warning"}, "orientation": {"severity": "error"}, "metadata": {"severity": "off"}}}}}
            """#.utf8), source: "t")
        let checker = Checker(profile: c.profiles["p"]!)
        let small = checker.check(bytes: try fixtureBytes("bad/too-small-400x300.jpg"), path: "s.jpg")
        #expect(small.verdict == .warn)
        let rotated = checker.check(bytes: try fixtureBytes("fixable/exif-rotated-6.jpg"), path: "r.jpg")
        #expect(rotated.verdict == .fixable)
        let gps = checker.check(bytes: try fixtureBytes("fixable/gps-location.jpg"), path: "g.jpg")
        #expect(gps.findings.isEmpty)
    }

    @Test("header-only mode never decodes: a truncated JPEG passes it, and the bomb is still refused")
    func headerOnly() throws {
        let checker = Checker(profile: Configuration.builtin.profiles["heygen-photo"]!, headerOnly: true)
        #expect(checker.check(bytes: try fixtureBytes("bad/truncated.jpg"), path: "t.jpg").verdict == .pass)
        #expect(checker.check(bytes: try fixtureBytes("bad/too-small-400x300.jpg"), path: "s.jpg").verdict == .fail)
    }

    @Test("verdict logic")
    func verdicts() {
        func f(_ s: Severity, _ fixable: Bool) -> Finding { Finding(ruleID: "x", severity: s, message: "m", fixable: fixable) }
        #expect(Verdict(findings: []) == .pass)
        #expect(Verdict(findings: [f(.info, false)]) == .pass)
        #expect(Verdict(findings: [f(.warning, false)]) == .warn)
        #expect(Verdict(findings: [f(.error, true), f(.warning, false)]) == .fixable)
        #expect(Verdict(findings: [f(.error, true), f(.error, false)]) == .fail)
        #expect(Verdict.warn.fails(strict: true) && !Verdict.warn.fails(strict: false))
        #expect(Verdict.fixable.fails(strict: false))
    }

    @Test("the avatar-iv profile recommends a 720 px short side")
    func avatarIV() throws {
        let checker = Checker(profile: Configuration.builtin.profiles["heygen-avatar-iv"]!)
        let r = checker.check(bytes: try fixtureBytes("good/baseline-600x800.jpg"), path: "p.jpg")
        #expect(r.verdict == .warn)
        #expect(r.findings.first?.limit == "short side ≥ 720")
    }
}

@Suite("Running")
struct RunnerTests {
    @Test("results are emitted in input order whatever the finishing order",
          arguments: [(1, nil), (4, nil), (4, 1), (3, 7), (8, 64)] as [(Int, Int?)])
    func ordered(width: Int, batch: Int?) async {
        var seen: [Int] = []
        await runOrdered(count: 40, width: width, batch: batch, work: { i in
            usleep(UInt32(((40 - i) % 7) * 300))
            return i * 10
        }, emit: { i, v in
            #expect(v == i * 10)
            seen.append(i)
        })
        #expect(seen == Array(0..<40))
    }

    @Test("folders: sorted, hidden skipped, non-photos skipped and counted, symlink loops safe")
    func collect() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("collect-\(UUID())").path
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/b/.hidden", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/a", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: root) }
        let jpeg = Data(try fixtureBytes("good/baseline-600x800.jpg"))
        try jpeg.write(to: URL(fileURLWithPath: root + "/b/z.jpg"))
        try jpeg.write(to: URL(fileURLWithPath: root + "/b/photo-without-extension"))
        try jpeg.write(to: URL(fileURLWithPath: root + "/b/.hidden/h.jpg"))
        try jpeg.write(to: URL(fileURLWithPath: root + "/a/B.JPG"))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: root + "/a/readme.md"))
        try Data("not really".utf8).write(to: URL(fileURLWithPath: root + "/a/fake.png"))
        try fm.createSymbolicLink(atPath: root + "/b/loop", withDestinationPath: root)
        let c = InputCollector().collect([root, root + "/missing.jpg"])
        #expect(c.inputs.map { String($0.displayPath.dropFirst(root.count)) } == [
            "/a/B.JPG", "/a/fake.png", "/b/photo-without-extension", "/b/z.jpg",
        ])
        #expect(c.skipped.map { String($0.path.display.dropFirst(root.count)) } == ["/a/readme.md"])
        #expect(c.missing == [FilePath(root + "/missing.jpg")])
    }

    @Test("an unreadable file is a finding, not a crash")
    func unreadable() throws {
        let checker = defaultChecker
        let r = checker.check(path: "/proc/self/mem-does-not-exist", displayPath: "x.jpg")
        #expect(r.verdict == .fail)
        #expect(r.findings.first?.ruleID == "read")
        let dir = checker.check(path: "/tmp", displayPath: "/tmp")
        #expect(dir.findings.first?.message.contains("not a regular file") == true)
    }

    @Test("reporters escape what they embed")
    func escaping() {
        let r = FileResult(path: "a,b:c<&>.jpg", header: nil, findings: [
            Finding(ruleID: "format", severity: .error, message: "bad \"x\" 50%\nnext", advice: nil),
        ])
        let report = RunReport(toolVersion: "t", profile: "p", results: [r], skipped: [], strict: false, headerOnly: false)
        let gh = GitHubReporter().render(report)
        #expect(gh.hasPrefix("::error file=a%2Cb%3Ac<&>.jpg,title=preflight format::bad \"x\" 50%25%0Anext\n"))
        let junit = JUnitReporter().render(report)
        #expect(junit.contains("name=\"a,b:c&lt;&amp;&gt;.jpg\""))
        #expect(junit.contains("bad &quot;x&quot; 50%&#10;next"))
        let json = JSONReporter().render(report)
        #expect(json.contains("\"path\" : \"a,b:c<&>.jpg\"") || json.contains("\"path\": \"a,b:c<&>.jpg\""))
        #expect(json.contains("\"width\" : null") || json.contains("\"width\": null"))
    }

    @Test("atomic writes replace the whole file and leave no temporary behind")
    func atomic() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write("one", to: dir + "/r.txt")
        try AtomicFile.write("two", to: dir + "/r.txt")
        #expect(try String(contentsOfFile: dir + "/r.txt", encoding: .utf8) == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["r.txt"])
        #expect(throws: (any Error).self) { try AtomicFile.write("x", to: dir + "/no/such/folder/r.txt") }
    }
}

@Suite("SHA-256")
struct SHA256Tests {
    @Test("FIPS 180-4 test vectors, and the same digest however the bytes are fed")
    func vectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var pieces = SHA256()
        var i = 0
        for size in [1, 63, 64, 65, 127, 3, 999_677] {
            pieces.update(Array(million[i..<(i + size)]))
            i += size
        }
        #expect(i == million.count)
        #expect(pieces.finish().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() == SHA256.hex(million))
    }
}

/// The `frontal` rule's decisions on constructed scenes: the labelled photo sets have tilted heads
/// but no turned ones, so the profile and eye-geometry paths are checked here.
@Suite("frontal rule")
struct FrontalRuleTests {
    let frontal = FrontalRule(options: RuleOptions(defaultsOf: FrontalRule.description))
    let count = FaceCountRule(options: RuleOptions(defaultsOf: FaceCountRule.description))

    func facts(_ scene: FaceScene) -> PhotoFacts {
        var f = PhotoFacts(path: "x.jpg", header: PhotoHeader(format: .jpeg, byteCount: 1000))
        f.faces = FaceAnalysis(imageWidth: 1000, imageHeight: 1500, scale: 2, scene: scene, measures: nil, isGreyscale: false,
                               backgroundClutter: nil)
        return f
    }

    /// A 300 px face box at (350, 400) with eyes `ied` apart about (cx, 510), the right one `drop` px lower.
    func face(cx: Double = 500, ied: Double = 120, drop: Double = 0, eyes: Bool = true) -> Face {
        Face(box: Box(x: 350, y: 400, width: 300, height: 300), neighbors: 20,
             leftEye: eyes ? Point(x: cx - ied / 2, y: 510 - drop / 2) : nil, rightEye: eyes ? Point(x: cx + ied / 2, y: 510 + drop / 2) : nil)
    }

    @Test("a face seen only in profile fails frontal, not face_count; it cannot be fixed")
    func profile() {
        let f = facts(FaceScene(faces: [], profiles: [Box(x: 300, y: 300, width: 250, height: 250)]))
        let found = frontal.check(f)
        #expect(found.count == 1 && found[0].severity == .error && !found[0].fixable)
        #expect(found.first?.message.contains("turned to the side") == true)
        #expect(count.check(f).isEmpty)
        // With neither a face nor a profile, it is face_count's "no face".
        let nothing = facts(FaceScene(faces: []))
        #expect(frontal.check(nothing).isEmpty)
        #expect(count.check(nothing).first?.message.contains("No face") == true)
    }

    @Test("a head found only in a rotated copy fails frontal, fixably, with the angle")
    func rotated() {
        let found = frontal.check(facts(FaceScene(faces: [], rotatedFaceAngle: -25)))
        #expect(found.count == 1 && found[0].severity == .error && found[0].fixable)
        #expect(found.first?.message.contains("25°") == true)
    }

    @Test("roll: level passes, over 8° warns, over 15° fails; both fixable", arguments: [(0.0, nil), (7.0, nil), (10.0, Severity.warning), (20.0, .error)] as [(Double, Severity?)])
    func roll(_ degrees: Double, _ expected: Severity?) {
        let drop = 120 * tan(degrees * Double.pi / 180)
        let found = frontal.check(facts(FaceScene(faces: [face(drop: drop)])))
        #expect(found.first?.severity == expected, "\(degrees)°: \(found)")
        if expected != nil { #expect(found.first?.fixable == true) }
    }

    @Test("eyes off the face box's centre line by more than 0.3 inter-eye distances warn of a turned head")
    func yaw() {
        // Eye midpoint 0.4 IED (48 px) right of the box centre: turned.
        let turned = frontal.check(facts(FaceScene(faces: [face(cx: 548)])))
        #expect(turned.first?.severity == .warning && turned.first?.message.contains("turned") == true, "\(turned)")
        // 0.2 IED: within tolerance.
        #expect(frontal.check(facts(FaceScene(faces: [face(cx: 524)]))).isEmpty)
        // Without eyes the geometry is estimated from the box, so it says nothing about turning.
        #expect(frontal.check(facts(FaceScene(faces: [face(cx: 548, eyes: false)]))).isEmpty)
    }
}
