#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PhotoCodec

/// The second labelled set: photos of two more people, as the `face_recognition` package ships
/// them (official portraits of Barack Obama and Joe Biden; fetched by scripts/fetch-photos.sh into
/// the git-ignored Fixtures/fetched/, never committed), the originals as they are plus defect
/// variants derived from them. `pp-fixtures realset SRC_DIR DIR` writes the photos and
/// `labels.tsv`. Crop boxes were chosen by looking at the sources, whose checksums the fetch
/// script verifies.
enum RealSet {
    struct Source {
        let name: String, width: Int, height: Int
        let verdict: String, rule: String, what: String
    }

    /// The originals, copied byte for byte, with the verdict a person would give each.
    static let originals = [
        Source(name: "biden.jpg", width: 970, height: 2204, verdict: "fail", rule: "framing",
               what: "three-quarter-length portrait: the face is 15 % of the height"),
        Source(name: "obama.jpg", width: 910, height: 1137, verdict: "warn", rule: "face_cut_off",
               what: "waist-up portrait, the hair almost touching the top edge; flags and curtains behind"),
        Source(name: "obama2.jpg", width: 626, height: 1200, verdict: "pass", rule: "-",
               what: "head and shoulders at a lectern"),
        Source(name: "obama3.jpg", width: 1434, height: 2333, verdict: "fail", rule: "framing",
               what: "full-length portrait"),
        Source(name: "obama_partial_face.jpg", width: 491, height: 1137, verdict: "fail", rule: "face_cut_off",
               what: "the face against the left edge, ear cut off (also under 512 px wide)"),
        Source(name: "obama_partial_face2.jpg", width: 551, height: 1137, verdict: "fail", rule: "face_cut_off",
               what: "the face cut by the right edge"),
    ]

    static func variants(sources: [String: Raster]) -> [EvalSet.Variant] {
        let speech = sources["obama2.jpg"]!, portrait = sources["obama.jpg"]!, biden = sources["biden.jpg"]!
        var out: [EvalSet.Variant] = []
        func add(_ name: String, _ verdict: String, _ rule: String, _ what: String, _ r: Raster) {
            out.append(EvalSet.Variant(name: name, verdict: verdict, rule: rule, what: what, raster: r))
        }
        let bidenHead = biden.crop(x: 226, y: 0, width: 740, height: 1030)
        add("biden-headshot", "warn", "frontal", "shoulders-up crop of the three-quarter portrait: head tilted about 12°", bidenHead)
        add("speech-dark", "fail", "exposure", "the lectern photo under-exposed (levels × 0.15)", speech.mapped { $0 * 0.15 })
        add("speech-overexposed", "fail", "exposure", "over-exposed (levels × 2.4, clipped)", speech.mapped { min(255, $0 * 2.4) })
        add("speech-side-shadow", "fail", "lighting_uniformity", "the left half of the face in hard shadow (× 0.2)", speech.sideShadow())
        add("speech-blurred", "fail", "sharpness", "out of focus (box blur, radius 12, three passes)", speech.blurred(radius: 12))
        add("portrait-off-centre", "fail", "face_centered", "crop of the waist-up portrait with the face at 28 % of the width",
            portrait.crop(x: 341, y: 0, width: 569, height: 1000))
        add("speech-close-up", "fail", "framing", "face fills the frame: no neck or shoulders",
            speech.crop(x: 100, y: 200, width: 420, height: 460).resized(width: 714, height: 782))
        add("speech-rotated-25", "fail", "frontal", "camera tilted 25°", speech.rotated(degrees: 25))
        add("two-people", "fail", "face_count", "the lectern photo beside Biden's headshot",
            speech.besides(bidenHead.resized(width: 740 * 1200 / 1030, height: 1200)))
        add("speech-small", "fail", "face_size", "the lectern photo at 55 %: face about 184 px (also under 512 px wide)",
            speech.resized(width: 344, height: 660))
        let flags = portrait.crop(x: 0, y: 0, width: 330, height: 660)
        add("flags-no-face", "fail", "face_count", "flag and curtain beside the portrait, no person",
            flags.resized(width: 600, height: 1200))
        // The cases issue 13 names, made from these photos: a second, smaller person (about half
        // the main face's area), a face that fills the frame, an 80 px face in a wide shot.
        add("two-people-unequal", "fail", "face_count", "the lectern photo beside Biden's headshot at 61 %: second face half the area",
            speech.besides(flags.resized(width: 560, height: 1200).pasting(bidenHead.resized(width: 451, height: 628), x: 55, y: 572)))
        add("close-up-tight", "fail", "framing", "the face wider than the frame (a 240 px crop of a 276 px face, enlarged)",
            speech.crop(x: 215, y: 290, width: 240, height: 280).resized(width: 640, height: 747))
        add("wide-small-face", "fail", "face_size", "the lectern photo at 24 % in a wide 1600×900 shot: face about 70 px",
            flags.resized(width: 1600, height: 900).pasting(speech.resized(width: 150, height: 288), x: 725, y: 420))
        return out
    }
}

func makeRealSet(sourceDir: String, dir: String) {
    var labels = "# file\texpected verdict\trule that must fire\twhat it is\n"
    var rasters: [String: Raster] = [:]
    for s in RealSet.originals {
        let path = sourceDir + "/" + s.name
        guard let bytes = try? FileByteSource(path: path).readAll(),
              let decoded = try? PhotoDecoder.decode(bytes, header: Probe.header(of: bytes), minimumLongSide: .max, maxPixels: 0)
        else { fatalError("realset: cannot read \(path) (run scripts/fetch-photos.sh)") }
        guard decoded.raster.width == s.width, decoded.raster.height == s.height, decoded.raster.channels == 3 else {
            fatalError("realset: \(path) is not the expected \(s.width)×\(s.height) RGB photo")
        }
        rasters[s.name] = decoded.raster
        write(bytes, dir + "/" + s.name)
        labels += "\(s.name)\t\(s.verdict)\t\(s.rule)\t\(s.what)\n"
    }
    for v in RealSet.variants(sources: rasters) {
        let name = v.name + ".jpg"
        write(jpeg(v.raster, quality: 90), dir + "/" + name)
        labels += "\(name)\t\(v.verdict)\t\(v.rule)\t\(v.what)\n"
    }
    write(Array(labels.utf8), dir + "/labels.tsv")
}
