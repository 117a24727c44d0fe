import Foundation
import PhotoCodec
import Testing

/// The hostile-input set (`pp-fixtures hostile`: 672 truncated, damaged, malicious and
/// oversized files, decompression bombs under the pixel limit among them) through the real
/// binaries: every file gets a verdict and a named finding, the run exits 0 or 1, no failing file
/// gets an output from `fix`, and peak memory stays under 300 MB whatever `--jobs` is.
@Suite("hostile input", .serialized)
struct HostileTests {
    static let rssLimitKiB = 300 * 1000 * 1000 / 1024

    /// The set, made once per test run.
    static let folder: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID())").path
        let made = try? spawn([sibling("pp-fixtures"), "hostile", "Fixtures/photos", dir])
        precondition(made?.status == 0, "pp-fixtures hostile failed: \(made?.err ?? "")")
        return dir
    }()

    static func files(in dir: String) -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: dir + "/" + $0, isDirectory: &isDir) && !isDir.boolValue
        }
    }

    static func report(_ r: Spawned) throws -> [[String: Any]] {
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout)) as! [String: Any]
        return doc["files"] as! [[String: Any]]
    }

    @Test("check: a verdict and a named finding for every file, exit 1, under 300 MB with 2 and with 16 workers",
          arguments: [2, 16])
    func check(jobs: Int) throws {
        let expected = Self.files(in: Self.folder).count
        #expect(expected > 600)
        let r = try spawn([binary, "check", "--format", "json", "--jobs", "\(jobs)", Self.folder])
        #expect(r.signal == nil && r.status == 1, "status \(r.status), signal \(r.signal ?? 0): \(r.err)")
        #expect(r.maxRSSKiB < Self.rssLimitKiB, "peak \(r.maxRSSKiB) KiB with --jobs \(jobs)")
        let files = try Self.report(r)
        #expect(files.count == expected)
        for f in files {
            let path = f["path"] as? String ?? "?"
            let findings = f["findings"] as? [[String: Any]] ?? []
            guard f["verdict"] as? String == "fail" else { continue }
            let errors = findings.filter { $0["severity"] as? String == "error" }
            #expect(!errors.isEmpty, "\(path) fails without an error finding")
            for e in errors {
                #expect(!(e["rule"] as? String ?? "").isEmpty && (e["message"] as? String ?? "").count > 10, "\(path): \(e)")
            }
        }
        func finding(_ suffix: String) -> String {
            let f = files.first { ($0["path"] as? String)?.hasSuffix(suffix) == true }
            return ((f?["findings"] as? [[String: Any]]) ?? []).compactMap { $0["message"] as? String }.joined(separator: " | ")
        }
        #expect(finding("bombs/progressive-14142.jpg").contains("more than the memory limit"))
        #expect(finding("jpeg/bad-huffman-code.jpg").contains("bad Huffman code"))
    }

    @Test("fix: no output for a file that fails, exit 1, under 300 MB; bombs are shrunk on load or refused")
    func fix() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-out-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        // Face rules off, so that the photos without faces get as far as rendering.
        let checked = try spawn([binary, "check", "--rules", formatOnly, "--format", "json", Self.folder])
        let failing = Set(try Self.report(checked).filter { $0["verdict"] as? String == "fail" }.map { $0["path"] as! String })
        #expect(failing.count > 400)
        let r = try spawn([binary, "fix", "--rules", formatOnly, Self.folder, "--out", out, "--report", out + ".json"])
        defer { try? FileManager.default.removeItem(atPath: out + ".json") }
        #expect(r.signal == nil && r.status == 1, "status \(r.status): \(r.err)")
        #expect(r.maxRSSKiB < Self.rssLimitKiB, "peak \(r.maxRSSKiB) KiB")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + ".json"))) as! [String: Any]
        let results = doc["files"] as! [[String: Any]]
        for f in results where failing.contains(f["path"] as! String) {
            #expect(f["action"] as? String == "unfixable" && f["output"] is NSNull, "\(f["path"]!) failed the check but got \(f["action"]!)")
        }
        let written = Self.files(in: out)
        #expect(written.count == results.filter { $0["action"] as? String == "render" || $0["action"] as? String == "copy" }.count)
        #expect(r.out.contains("decode at 1/"), "no bomb was shrunk on load")
        #expect(!FileManager.default.fileExists(atPath: out + "/bombs/progressive-14142.jpg"))
    }

    /// The fuzz targets' seeds (and any input a fuzzing run once crashed on, kept beside them)
    /// through each target in the ordinary build: what the sanitizer build of scripts/fuzz.sh
    /// explores stays covered by `swift test`.
    @Test("every fuzz seed runs through its target", arguments: ["probe", "exif", "icc", "jpeg", "png", "rules", "onnx"])
    func fuzzSeeds(target: String) throws {
        let seeds = root + "/Fixtures/fuzz/" + target
        let count = Self.files(in: seeds).count
        #expect(count >= 3)
        let r = try spawn([sibling("pp-fuzz"), target, seeds])
        #expect(r.status == 0 && r.out.contains("\(count) inputs ran through \(target)"), "\(r.out)\(r.err)")
    }
}

/// The face network's working memory: one workspace per running worker, whatever the sizes.
@Suite("face network memory")
struct FaceNetworkMemoryTests {
    @Test("photos of many sizes, checked one at a time, peak under 80 MB (a workspace per size reached 218 MB)")
    func manySizes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sizes-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // good-centred at 24 sizes: each analysis size needs its own network plan.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/Fixtures/eval/good-centred.jpg")))
        let photo = try PhotoDecoder.decode(bytes, header: Probe.header(of: bytes), minimumLongSide: .max, maxPixels: 0).raster
        for i in 0..<24 {
            let w = 520 + 8 * i, h = w * 16 / 10
            try Data(try JPEGCodec.encode(photo.resampled(width: w, height: h))).write(to: URL(fileURLWithPath: folder + "/p\(i).jpg"))
        }
        let r = try spawn([binary, "check", "--jobs", "1", "--no-progress", folder])
        #expect(r.signal == nil, "signal \(r.signal ?? 0)")
        #expect(r.maxRSSKiB < 80 * 1024, "peak \(r.maxRSSKiB) KiB")
    }
}
