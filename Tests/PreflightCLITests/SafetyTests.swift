import Foundation
import PhotoCodec
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Defects found under hostile input and faults (issue 11), each with a test that failed before
/// its fix: originals replaced, outputs written through links, names that are not UTF-8 or hold
/// newlines, folders deeper than PATH_MAX, report files that cannot be written.
@Suite("never lose a photo", .serialized)
struct SafetyTests {
    static func temporaryFolder(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func copy(_ fixture: String, to path: String) throws {
        try FileManager.default.copyItem(atPath: root + "/" + fixture, toPath: path)
    }

    static func digest(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Writes `contents` to a path given as raw bytes (a name Foundation cannot spell).
    static func write(_ contents: [UInt8], toBytes path: [UInt8]) {
        let fd = (path.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { open($0.baseAddress!, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        precondition(fd >= 0)
        contents.withUnsafeBufferPointer { _ = Glibc.write(fd, $0.baseAddress!, $0.count) }
        close(fd)
    }

    @Test("fix never replaces a photo beside the one it fixes, --overwrite or not; nor an input by any name")
    func neverReplacesAnOriginal() throws {
        let p = try Self.temporaryFolder("originals")
        defer { try? FileManager.default.removeItem(atPath: p) }
        try Self.copy("Fixtures/photos/fixable/transparent-600x600.png", to: p + "/b.png")
        try Self.copy("Fixtures/photos/good/baseline-600x800.jpg", to: p + "/b.jpg")
        let before = try Self.digest(p + "/b.jpg")
        // The defect: b.png's output b.jpg replaced the original b.jpg, which was not an input.
        let overwrite = try preflight(["fix", "--rules", formatOnly, "--format", "jpeg", p + "/b.png", "--out", p, "--overwrite"])
        #expect(overwrite.status == 2 && overwrite.stderr.contains("would replace the original"), "\(overwrite.stdout)\(overwrite.stderr)")
        #expect(try Self.digest(p + "/b.jpg") == before)
        // Without --overwrite it is kept.
        let keep = try preflight(["fix", "--rules", formatOnly, "--format", "jpeg", p + "/b.png", "--out", p])
        #expect(keep.stdout.contains("KEPT"), "\(keep.stdout)")
        #expect(try Self.digest(p + "/b.jpg") == before)
        // An input reached through a hard link under the output's name in --out: same device and
        // inode, so it is the input, whatever it is called.
        let out = try Self.temporaryFolder("out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        try FileManager.default.linkItem(atPath: p + "/b.png", toPath: out + "/b.jpg")
        let input = try Self.digest(p + "/b.png")
        let linked = try preflight(["fix", "--rules", formatOnly, "--format", "jpeg", p + "/b.png", "--out", out, "--overwrite"])
        #expect(linked.status == 2 && linked.stderr.contains("would replace the original"), "\(linked.stderr)")
        #expect(try Self.digest(out + "/b.jpg") == input)
    }

    @Test("a symlinked folder inside --out is never written through")
    func noWritesThroughLinks() throws {
        let base = try Self.temporaryFolder("links")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/src/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/out", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/elsewhere", withIntermediateDirectories: true)
        try Self.copy("Fixtures/photos/fixable/exif-rotated-6.jpg", to: base + "/src/sub/a.jpg")
        try Self.copy("Fixtures/photos/fixable/exif-rotated-6.jpg", to: base + "/src/top.jpg")
        try FileManager.default.createSymbolicLink(atPath: base + "/out/sub", withDestinationPath: "../elsewhere")
        let r = try preflight(["fix", "--rules", formatOnly, base + "/src", "--out", base + "/out"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("out/sub is a symbolic link; outputs are written only into real folders"), "\(r.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/elsewhere").isEmpty)
        // The rest of the run goes on.
        #expect(FileManager.default.fileExists(atPath: base + "/out/top.jpg"))
    }

    @Test("a file name that is not UTF-8 is checked and fixed like any other, named escaped, its bytes in JSON")
    func namesThatAreNotUTF8() throws {
        let d = try Self.temporaryFolder("latin1")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/Fixtures/photos/good/baseline-600x800.jpg")))
        let name = Array(d.utf8) + Array("/caf".utf8) + [0xE9] + Array(".jpg".utf8)
        Self.write(jpeg, toBytes: name)
        // In a folder.
        let folder = try spawn([binary, "check", "--rules", formatOnly, "--format", "json", d])
        #expect(folder.status == 0, "\(folder.out)\(folder.err)")
        let doc = try JSONSerialization.jsonObject(with: Data(folder.stdout)) as! [String: Any]
        let file = try #require((doc["files"] as? [[String: Any]])?.first)
        #expect((file["path"] as? String)?.hasSuffix("/caf\\xE9.jpg") == true, "\(file)")
        #expect(file["verdict"] as? String == "pass")
        #expect(file["path_base64"] as? String == Data(name).base64EncodedString())
        // Named explicitly (before: "cannot open", exit 2, nothing else checked).
        let named = try spawn([Array(binary.utf8), Array("check".utf8), Array("--rules".utf8), Array(formatOnly.utf8), name,
                               Array("Fixtures/photos/good/baseline-600x800.jpg".utf8)])
        #expect(named.status == 0, "\(named.out)\(named.err)")
        #expect(named.out.contains("PASS    \(d)/caf\\xE9.jpg"), "\(named.out)")
        #expect(named.out.contains("2 files checked"), "\(named.out)")
        // Fixed: the output keeps the same bytes in its name.
        let out = try Self.temporaryFolder("latin1-out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let fixed = try spawn([binary, "fix", "--rules", formatOnly, "--frame", "keep", d, "--out", out])
        #expect(fixed.status == 0, "\(fixed.out)\(fixed.err)")
        var info = stat()
        let outName = Array(out.utf8) + Array("/caf".utf8) + [0xE9] + Array(".jpg".utf8) + [0]
        #expect(outName.map { CChar(bitPattern: $0) }.withUnsafeBufferPointer { stat($0.baseAddress!, &info) } == 0)
    }

    @Test("a newline in a file name cannot forge a line of the text report")
    func newlinesInNames() throws {
        let d = try Self.temporaryFolder("newline")
        defer { try? FileManager.default.removeItem(atPath: d) }
        try Self.copy("Fixtures/photos/bad/truncated.jpg", to: d + "/x.jpg\nPASS    forged.jpg")
        let r = try preflight(["check", "--rules", formatOnly, d])
        #expect(r.status == 1)
        #expect(!r.stdout.split(separator: "\n").contains { $0.hasPrefix("PASS    forged") }, "\(r.stdout)")
        #expect(r.stdout.contains("x.jpg\\nPASS    forged.jpg"), "\(r.stdout)")
    }

    @Test("a folder deeper than PATH_MAX is named as skipped, not left out without a word")
    func deepFolders() throws {
        let d = try Self.temporaryFolder("deep")
        defer {
            // rm -r cannot remove what it cannot name either: go down with openat.
            _ = try? spawn(["/bin/rm", "-rf", d])
        }
        // 100 levels of 48-character names: about 4,900 bytes, beyond PATH_MAX (4096).
        let part = String(repeating: "d", count: 48)
        var fd = open(d, O_RDONLY | O_DIRECTORY)
        for _ in 0..<100 {
            mkdirat(fd, part, 0o755)
            let next = openat(fd, part, O_RDONLY | O_DIRECTORY)
            close(fd)
            fd = next
        }
        let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/Fixtures/photos/good/baseline-600x800.jpg")))
        let file = openat(fd, "deep.jpg", O_WRONLY | O_CREAT, 0o644)
        jpeg.withUnsafeBufferPointer { _ = Glibc.write(file, $0.baseAddress!, $0.count) }
        close(file)
        close(fd)
        try Self.copy("Fixtures/photos/good/baseline-600x800.jpg", to: d + "/shallow.jpg")
        let r = try preflight(["check", "--rules", formatOnly, d])
        #expect(r.stdout.contains("1 file checked"), "\(r.stdout)")
        #expect(r.stdout.contains("skipped") && r.stdout.contains("longer than the system allows"), "\(r.stdout)")
    }

    @Test("a report that cannot be written after the photos were checked is exit 3 with its own message; one that would replace a photo is refused first")
    func reportWriteFailures() throws {
        let r = try preflight(["check", "--rules", formatOnly, "Fixtures/photos/good", "--format", "json", "--output", "/nonexistent-folder/report.json"])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("the photos were processed, but the report could not be written"), "\(r.stderr)")
        let out = try Self.temporaryFolder("fix-report")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let f = try preflight(["fix", "--rules", formatOnly, "Fixtures/photos/good/baseline-600x800.jpg", "--out", out,
                               "--report", "/nonexistent-folder/report.json"])
        #expect(f.status == 3 && f.stderr.contains("the report could not be written"), "\(f.stderr)")
        let d = try Self.temporaryFolder("report-onto")
        defer { try? FileManager.default.removeItem(atPath: d) }
        try Self.copy("Fixtures/photos/good/baseline-600x800.jpg", to: d + "/a.jpg")
        let before = try Self.digest(d + "/a.jpg")
        let onto = try preflight(["check", "--rules", formatOnly, d, "--format", "json", "--output", d + "/a.jpg"])
        #expect(onto.status == 2 && onto.stderr.contains("would replace a photo"), "\(onto.stderr)")
        #expect(try Self.digest(d + "/a.jpg") == before)
    }

    @Test("dangling links, FIFOs and unreadable folders in a folder are named with their reason")
    func skippedAreNamed() throws {
        let d = try Self.temporaryFolder("skipped")
        defer { try? FileManager.default.removeItem(atPath: d) }
        try Self.copy("Fixtures/photos/good/baseline-600x800.jpg", to: d + "/ok.jpg")
        try FileManager.default.createSymbolicLink(atPath: d + "/gone.jpg", withDestinationPath: d + "/nothing-here.jpg")
        mkfifo(d + "/pipe.jpg", 0o644)
        let r = try preflight(["check", "--rules", formatOnly, d])
        #expect(r.stdout.contains("skipped \(d)/gone.jpg: a symbolic link to nothing"), "\(r.stdout)")
        #expect(r.stdout.contains("skipped \(d)/pipe.jpg: a FIFO (named pipe)"), "\(r.stdout)")
    }
}
