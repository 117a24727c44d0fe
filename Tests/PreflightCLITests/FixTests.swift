import Foundation
import PhotoCodec
import Testing

/// `preflight fix`, end to end with the real binary.
@Suite("preflight fix")
struct FixTests {
    static func temporaryFolder(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID())").path
    }

    static func sha(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    static func files(in dir: String) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: dir)) ?? []).filter {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: dir + "/" + $0, isDirectory: &isDir) && !isDir.boolValue
        }.sorted()
    }

    static func header(_ path: String) throws -> PhotoHeader {
        Probe.header(of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test("--frame portrait: fixable headshots come out 720×1280, passing, without metadata; unfixable ones get no output; originals untouched")
    func fixesTheLabelledSet() throws {
        let inputs = ["good-centred.jpg", "good-wide.jpg", "blurred.jpg", "no-face.jpg", "head-cut-off.jpg"]
        let paths = inputs.map { "Fixtures/eval/" + $0 }
        let before = try paths.map { try Self.sha(root + "/" + $0) }
        let out = Self.temporaryFolder("fix")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let report = Self.temporaryFolder("fixreport") + ".json"
        defer { try? FileManager.default.removeItem(atPath: report) }
        let r = try preflight(["fix", "--frame", "portrait", "--out", out, "--report", report] + paths)
        #expect(r.status == 1, "some inputs are unfixable: \(r.stdout)")
        #expect(try paths.map { try Self.sha(root + "/" + $0) } == before, "an original changed")
        #expect(Self.files(in: out) == ["good-centred.jpg", "good-wide.jpg"], "\(r.stdout)")
        for name in ["blurred.jpg", "no-face.jpg", "head-cut-off.jpg"] {
            #expect(r.stdout.contains("UNFIXABLE Fixtures/eval/\(name)"), "\(r.stdout)")
        }
        #expect(r.stdout.contains("sharpness: The face is blurred"))
        #expect(r.stdout.contains("level the eyes (turn 3°"), "good-wide's eyes are levelled: \(r.stdout)")
        #expect(r.stdout.contains("warn → pass (repaired: background, face_centered)"), "\(r.stdout)")
        for name in Self.files(in: out) {
            let h = try Self.header(out + "/" + name)
            #expect(h.format == .jpeg && h.displayWidth == 720 && h.displayHeight == 1280, "\(name): \(h)")
            #expect(!h.hasExif && !h.hasGPS && !h.hasXMP && !h.hasComment, "\(name) carries metadata")
        }
        // The JSON report: before → after per rule, reasons for the unfixable.
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as! [String: Any]
        let entries = doc["files"] as! [[String: Any]]
        #expect(entries.count == inputs.count)
        let wide = try #require(entries.first { ($0["path"] as! String).hasSuffix("good-wide.jpg") })
        #expect(wide["action"] as? String == "render" && wide["before"] as? String == "warn" && wide["after"] as? String == "pass")
        let centred = (wide["rules"] as! [String: [String: String]])["face_centered"]
        #expect(centred == ["before": "warning", "after": "ok"], "\(wide)")
        let blurred = try #require(entries.first { ($0["path"] as! String).hasSuffix("blurred.jpg") })
        #expect(blurred["action"] as? String == "unfixable" && blurred["output"] is NSNull)
        #expect((blurred["reasons"] as! [String]).contains { $0.hasPrefix("sharpness:") })
        // Every output passes the same profile's check.
        let check = try preflight(["check", out])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(!check.stdout.contains("FAIL") && !check.stdout.contains("FIXABLE"), "\(check.stdout)")
    }

    @Test("a head tilted 25° is turned level; with --fit contain, missing corners are padded, not invented")
    func tiltedHead() throws {
        let out = Self.temporaryFolder("fixtilt")
        defer { try? FileManager.default.removeItem(atPath: out) }
        // Levelled, the face lies too near the photo's edge for a shoulders-up frame without
        // enlarging more than --max-upscale allows, or without photo around it.
        let cover = try preflight(["fix", "--frame", "portrait", "--out", out, "Fixtures/eval/rotated-25.jpg"])
        #expect(cover.status == 1 && (cover.stdout.contains("not enough photo around the face") || cover.stdout.contains("raise --max-upscale")),
                "\(cover.stdout)")
        let contain = try preflight(["fix", "--frame", "portrait", "--fit", "contain", "--out", out, "Fixtures/eval/rotated-25.jpg"])
        #expect(contain.status == 0, "\(contain.stdout)")
        // The YuNet detector measures the eye line (about 18–20°: the portrait's own tilt is
        // about 5° the other way); the cascades find the face only in the image turned 25°.
        #expect((contain.stdout.contains("level the eyes") || contain.stdout.contains("turn the photo 25°"))
                && contain.stdout.contains("frontal: error → ok"), "\(contain.stdout)")
        let check = try preflight(["check", "--format", "json", out + "/rotated-25.jpg"])
        #expect(check.status == 0, "\(check.stdout)")
        let faces = try #require(((try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as! [String: Any])["files"]
            as! [[String: Any]]).first?["faces"] as? [[String: Any]])
        let l = faces[0]["left_eye"] as! [String: Int], r = faces[0]["right_eye"] as! [String: Int]
        #expect(abs(l["y"]! - r["y"]!) < 20, "eyes not level: \(l) \(r)")
        // An off-centre face: contain pads the frame around it (cover, depending on a few pixels of
        // the face box, finds a crop just inside the photo or refuses).
        let padded = try preflight(["fix", "--frame", "portrait", "--fit", "contain", "--out", out, "Fixtures/eval/off-centre.jpg"])
        #expect(padded.status == 0 && padded.stdout.contains("face_centered: error → ok"), "\(padded.stdout)")
    }

    @Test("a Display P3 JPEG or PNG comes out in sRGB (outputs carry no profile); an untagged one keeps its values")
    func colourProfiles() throws {
        let src = Self.temporaryFolder("fixp3"), out = Self.temporaryFolder("fixp3out")
        defer {
            try? FileManager.default.removeItem(atPath: src)
            try? FileManager.default.removeItem(atPath: out)
        }
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        let flat = Raster(width: 600, height: 800, channels: 3, pixels: [UInt8]((0..<(600 * 800)).flatMap { _ in [200, 100, 50] }))
        let plain = try JPEGCodec.encode(flat)
        let p3 = ColorProfile.matrixProfile(name: "Display P3", red: ColorProfile.displayP3.red,
                                            green: ColorProfile.displayP3.green, blue: ColorProfile.displayP3.blue)
        let tagged = ContainerEditor.jpeg(plain, insertingSegment: 0xE2, payload: Array("ICC_PROFILE\0".utf8) + [1, 1] + p3)
        try Data(plain).write(to: URL(fileURLWithPath: src + "/plain.jpg"))
        try Data(tagged).write(to: URL(fileURLWithPath: src + "/p3.jpg"))
        // The same pixels as a PNG whose iCCP chunk holds the profile (zlib, stored blocks), and
        // one that also has a gAMA chunk (libpng applies that; the profile is then left alone).
        let png = try PNGCodec.encode(flat)
        let iccp = Array("Display P3".utf8) + [0, 0] + Self.zlibStored(p3)
        let pngP3 = ContainerEditor.png(png, insertingChunk: "iCCP", data: iccp)
        try Data(pngP3).write(to: URL(fileURLWithPath: src + "/p3-png.png"))
        let gamma = ContainerEditor.png(pngP3, insertingChunk: "gAMA", data: [0, 0, 0xB1, 0x8F])  // 1/2.2, like sRGB
        try Data(gamma).write(to: URL(fileURLWithPath: src + "/p3-gamma.png"))
        let r = try preflight(["fix", "--rules", formatOnly, "--frame", "square", "--out", out, src])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("convert the colours from Display P3 to sRGB"), "\(r.stdout)")
        #expect(r.stdout.contains("both a colour profile and a gAMA chunk"), "\(r.stdout)")
        func centre(_ path: String) throws -> [Int] {
            let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let raster = try PhotoDecoder.decode(b, header: Probe.header(of: b), minimumLongSide: .max, maxPixels: 0).raster
            let i = (raster.height / 2 * raster.width + raster.width / 2) * 3
            return (0..<3).map { Int(raster.pixels[i + $0]) }
        }
        let converted = try centre(out + "/p3.jpg"), kept = try centre(out + "/plain.jpg")
        for (c, want) in [215, 93, 31].enumerated() { #expect(abs(converted[c] - want) <= 4, "P3 → sRGB \(converted)") }
        let convertedPNG = try centre(out + "/p3-png.png"), gammaOnly = try centre(out + "/p3-gamma.png")
        for (c, want) in [215, 93, 31].enumerated() { #expect(abs(convertedPNG[c] - want) <= 4, "PNG P3 → sRGB \(convertedPNG)") }
        for (c, want) in [200, 100, 50].enumerated() { #expect(abs(gammaOnly[c] - want) <= 4, "PNG with gAMA \(gammaOnly)") }
        for (c, want) in [200, 100, 50].enumerated() { #expect(abs(kept[c] - want) <= 3, "untagged \(kept)") }
        #expect(try !Self.header(out + "/p3.jpg").hasICC)
    }

    /// `data` as a zlib stream of stored (uncompressed) deflate blocks.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, data.count - i)
            let last: UInt8 = i + n == data.count ? 1 : 0
            out += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[i..<(i + n)]
            i += n
        } while i < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        let adler = b << 16 | a
        return out + [UInt8(adler >> 24), UInt8((adler >> 16) & 0xFF), UInt8((adler >> 8) & 0xFF), UInt8(adler & 0xFF)]
    }

    @Test("fix is idempotent: fixing its own output copies it byte for byte")
    func idempotent() throws {
        let first = Self.temporaryFolder("fix1"), second = Self.temporaryFolder("fix2")
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        #expect(try preflight(["fix", "--out", first, "Fixtures/eval/good-wide.jpg"]).status == 0)
        let again = try preflight(["fix", "--out", second, first])
        #expect(again.status == 0)
        #expect(again.stdout.contains("COPIED"), "\(again.stdout)")
        #expect(try Self.sha(first + "/good-wide.jpg") == Self.sha(second + "/good-wide.jpg"))
    }

    @Test("orientation is baked in, GPS stripped, formats converted at their size (face rules off); a passing photo is copied")
    func formatRepairs() throws {
        let out = Self.temporaryFolder("fixfmt")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try preflight(["fix", "--rules", formatOnly, "--out", out,
                               "Fixtures/photos/fixable", "Fixtures/photos/good/baseline-600x800.jpg"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(try Self.sha(out + "/baseline-600x800.jpg") == Self.sha(root + "/Fixtures/photos/good/baseline-600x800.jpg"))
        let rotated = try Self.header(out + "/exif-rotated-6.jpg")
        #expect(rotated.orientation == .up && rotated.width == 600 && rotated.height == 800, "\(rotated)")
        let gps = try Self.header(out + "/gps-location.jpg")
        #expect(!gps.hasGPS && !gps.hasExif && !gps.hasCameraSerial)
        // Each keeps its format (the profile accepts both) and its size; only the finding's cause changes.
        for name in ["cmyk-adobe-600x600.jpg", "ycck-adobe-600x600.jpg", "arithmetic-600x600.jpg", "transparent-600x600.png",
                     "sixteen-bit-600x600.png", "animated-apng.png", "png-named.png"] {
            let h = try Self.header(out + "/" + name)
            let source = try Self.header(root + "/Fixtures/photos/fixable/" + (name == "png-named.png" ? "png-named.jpg" : name))
            #expect(h.format == source.format && h.width == source.width && h.height == source.height, "\(name): \(h)")
            #expect(h.colorModel != .cmyk && h.colorModel != .ycck && !h.isAnimated && !h.hasAlpha && (h.bitDepth ?? 8) == 8
                    && !h.isArithmeticCoded, "\(name): \(h)")
        }
        // A PNG named .jpg is copied byte for byte under its right name.
        #expect(try Self.sha(out + "/png-named.png") == Self.sha(root + "/Fixtures/photos/fixable/png-named.jpg"))
        // The arithmetic-coded JPEG is rewritten from its coefficients: the same pixels.
        let arithmetic = try [UInt8](Data(contentsOf: URL(fileURLWithPath: root + "/Fixtures/photos/fixable/arithmetic-600x600.jpg")))
        let baseline = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out + "/arithmetic-600x600.jpg")))
        #expect(try JPEGCodec.decode(arithmetic).raster.pixels == JPEGCodec.decode(baseline).raster.pixels)
        let check = try preflight(["check", "--rules", formatOnly, out])
        #expect(check.status == 0, "\(check.stdout)")
        // Transparent corners land on the chosen background colour.
        let blue = Self.temporaryFolder("fixblue")
        defer { try? FileManager.default.removeItem(atPath: blue) }
        #expect(try preflight(["fix", "--rules", formatOnly, "--background", "0000ff", "--out", blue,
                               "Fixtures/photos/fixable/transparent-600x600.png"]).status == 0)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: blue + "/transparent-600x600.png")))
        let corner = try PhotoDecoder.decode(bytes, header: Probe.header(of: bytes), minimumLongSide: .max, maxPixels: 0).raster
        #expect(corner.pixels[0] < 30 && corner.pixels[1] < 30 && corner.pixels[2] > 220, "corner \(corner.pixels[0...2])")
    }

    @Test("the size budget is met by lowering quality, an impossible budget is refused, never padded")
    func budget() throws {
        let out = Self.temporaryFolder("fixbudget"), none = Self.temporaryFolder("fixnone")
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: none)
        }
        let r = try preflight(["fix", "--frame", "portrait", "--out", out, "--max-bytes", "60000", "Fixtures/eval/good-wide.jpg"])
        #expect(r.status == 0, "\(r.stdout)")
        let size = try Self.sha(out + "/good-wide.jpg").count
        #expect(size <= 60000 && size > 30000, "\(size) bytes")
        #expect(r.stdout.contains("JPEG quality"), "\(r.stdout)")
        let tiny = try preflight(["fix", "--frame", "portrait", "--out", none, "--max-bytes", "3000", "Fixtures/eval/good-wide.jpg"])
        #expect(tiny.status == 1)
        #expect(tiny.stdout.contains("no encoding fits 3000 bytes"), "\(tiny.stdout)")
        #expect(!FileManager.default.fileExists(atPath: none + "/good-wide.jpg"))
    }

    @Test("--dry-run writes nothing; existing outputs are kept unless --overwrite; no temporary files remain")
    func dryRunAndOverwrite() throws {
        let out = Self.temporaryFolder("fixdry")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let dry = try preflight(["fix", "--dry-run", "--out", out, "Fixtures/eval/good-wide.jpg"])
        #expect(dry.status == 0)
        #expect(dry.stdout.contains("WOULD FIX"), "\(dry.stdout)")
        #expect(!FileManager.default.fileExists(atPath: out))
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("placeholder".utf8).write(to: URL(fileURLWithPath: out + "/good-wide.jpg"))
        let kept = try preflight(["fix", "--out", out, "Fixtures/eval/good-wide.jpg"])
        #expect(kept.stdout.contains("KEPT"), "\(kept.stdout)")
        #expect(try String(contentsOfFile: out + "/good-wide.jpg", encoding: .utf8) == "placeholder")
        // What a killed run leaves: a temporary whose process is gone. The next run removes it.
        try Data("partial".utf8).write(to: URL(fileURLWithPath: out + "/.preflight-2147483000-AbCdEf.tmp"))
        let replaced = try preflight(["fix", "--overwrite", "--out", out, "Fixtures/eval/good-wide.jpg"])
        #expect(replaced.status == 0)
        #expect(try Self.header(out + "/good-wide.jpg").format == .jpeg)
        #expect(Self.files(in: out) == ["good-wide.jpg"], "left behind: \(Self.files(in: out))")
    }

    @Test("inputs that would share an output name each get their own; hostile files are refused with reasons")
    func clashesAndBadInput() throws {
        let out = Self.temporaryFolder("fixbad")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try preflight(["fix", "--rules", formatOnly, "--out", out, "Fixtures/photos/bad"])
        #expect(r.status == 1)
        for name in ["truncated.jpg", "truncated.png", "bomb-30000x30000.png", "empty.jpg", "random-bytes.jpg", "saved-error-page.jpg"] {
            #expect(r.stdout.contains("UNFIXABLE Fixtures/photos/bad/\(name)"), "\(name): \(r.stdout)")
        }
        #expect(!r.stdout.contains("FIXED") && Self.files(in: out).isEmpty, "\(Self.files(in: out))")
        // Two good photos whose names differ only in the extension.
        let src = Self.temporaryFolder("fixsrc")
        defer { try? FileManager.default.removeItem(atPath: src) }
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root + "/Fixtures/photos/good/rgb-640x640.png", toPath: src + "/same.png")
        try FileManager.default.copyItem(atPath: root + "/Fixtures/photos/good/progressive-640x640.jpg", toPath: src + "/same.jpg")
        let both = try preflight(["fix", "--rules", formatOnly, "--format", "jpeg", "--out", out, src])
        #expect(both.status == 0, "\(both.stdout)")
        #expect(Self.files(in: out) == ["same.jpg", "same.png.jpg"], "\(Self.files(in: out))")
        // Each in its own format, the names do not clash.
        let own = Self.temporaryFolder("fixown")
        defer { try? FileManager.default.removeItem(atPath: own) }
        #expect(try preflight(["fix", "--rules", formatOnly, "--out", own, src]).status == 0)
        #expect(Self.files(in: own) == ["same.jpg", "same.png"], "\(Self.files(in: own))")
    }

    @Test("--out inside the photo folder: earlier outputs are not inputs; --out on the photos themselves is refused")
    func outInsideInputs() throws {
        let src = Self.temporaryFolder("fixinside")
        defer { try? FileManager.default.removeItem(atPath: src) }
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root + "/Fixtures/eval/good-wide.jpg", toPath: src + "/good-wide.jpg")
        for _ in 0..<2 {
            let r = try preflight(["fix", "--out", src + "/fixed", src])
            #expect(r.status == 0, "\(r.stdout)")
        }
        #expect(Self.files(in: src) == ["fixed/good-wide.jpg", "good-wide.jpg"], "\(Self.files(in: src))")
        let before = try Self.sha(src + "/good-wide.jpg")
        let onto = try preflight(["fix", "--overwrite", "--out", src, src + "/good-wide.jpg"])
        #expect(onto.status == 2 && onto.stderr.contains("would replace the original"), "\(onto.stderr)")
        #expect(try Self.sha(src + "/good-wide.jpg") == before)
    }

    @Test("usage errors exit 2: no --out, a bad colour")
    func usage() throws {
        let noOut = try preflight(["fix", "Fixtures/eval/good-wide.jpg"])
        #expect(noOut.status == 2 && noOut.stderr.contains("--out"))
        let colour = try preflight(["fix", "--background", "blue", "--out", Self.temporaryFolder("fixbg"), "Fixtures/eval/good-wide.jpg"])
        #expect(colour.status == 2 && colour.stderr.contains("RRGGBB"), "\(colour.stderr)")
    }
}
