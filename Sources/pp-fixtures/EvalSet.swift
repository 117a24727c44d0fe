#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PhotoCodec

/// The labelled evaluation set: real-photo variants derived from one public-domain portrait
/// (NASA's astronaut Eileen Collins, as scikit-image ships it) with the verdict each must get
/// and the rule that must report it. `pp-fixtures evalset SOURCE.png DIR` writes the photos and
/// `labels.tsv`.
enum EvalSet {
    struct Variant {
        var name: String
        var verdict: String      // pass, warn, fail (fixable counts as fail for a defect)
        var rule: String         // the rule that must fire ("-" for none)
        var what: String
        var raster: Raster
    }

    // Where the face is in the 512×512 source (found once with the frontal cascade).
    static func variants(source s: Raster) -> [Variant] {
        let good = s.crop(x: 75, y: 0, width: 300, height: 480).resized(width: 720, height: 1152)
        var out: [Variant] = []
        func add(_ name: String, _ verdict: String, _ rule: String, _ what: String, _ r: Raster) {
            out.append(Variant(name: name, verdict: verdict, rule: rule, what: what, raster: r))
        }
        add("good-centred", "pass", "-", "shoulders-up crop, face centred, 720×1152", good)
        add("good-mirrored", "pass", "-", "the same, mirrored", good.mirrored())
        add("good-brighter", "pass", "-", "the same, 6 % brighter", good.mapped { min(255, $0 * 1.06) })
        add("good-softer", "pass", "-", "the same, slightly darker and contrast-reduced", good.mapped { 20 + $0 * 0.85 })
        add("good-wide", "warn", "face_centered", "the whole photo enlarged to 1280×1280: face 6 % off centre, busy background",
            s.resized(width: 1280, height: 1280))
        add("dark", "fail", "exposure", "under-exposed (levels × 0.15)", good.mapped { $0 * 0.15 })
        add("overexposed", "fail", "exposure", "over-exposed (levels × 2.4, clipped)", good.mapped { min(255, $0 * 2.4) })
        add("side-shadow", "fail", "lighting_uniformity", "the left half of the face in hard shadow (× 0.2)", good.sideShadow())
        add("blurred", "fail", "sharpness", "out of focus (box blur, radius 9, three passes)", good.blurred(radius: 9))
        add("off-centre", "fail", "face_centered", "face at a quarter of the width",
            s.crop(x: 150, y: 0, width: 300, height: 480).resized(width: 720, height: 1152))
        add("head-cut-off", "fail", "face_cut_off", "top of the head cropped off at the forehead",
            s.crop(x: 75, y: 55, width: 300, height: 400).resized(width: 720, height: 960))
        add("face-too-small", "fail", "face_size", "the original 512×512: face about 97 px", s)
        add("close-up", "fail", "framing", "face fills the frame: no neck or shoulders",
            s.crop(x: 150, y: 30, width: 150, height: 175).resized(width: 720, height: 840))
        add("two-faces", "fail", "face_count", "two people side by side", good.besides(good.mirrored()))
        add("rotated-25", "fail", "frontal", "camera tilted 25°", good.rotated(degrees: 25))
        add("no-face", "fail", "face_count", "the background only: flag-free corner with the shuttle model",
            s.crop(x: 330, y: 0, width: 182, height: 300).resized(width: 546, height: 900))
        add("full-body", "fail", "framing", "small figure in a wide frame: face under a tenth of the height",
            s.resized(width: 420, height: 420).placed(onWidth: 1400, height: 2000, x: 490, y: 800))
        return out
    }
}

extension Raster {
    func crop(x: Int, y: Int, width w: Int, height h: Int) -> Raster {
        var out: [UInt8] = []
        out.reserveCapacity(w * h * channels)
        for row in y..<(y + h) {
            let start = (row * width + x) * channels
            out += pixels[start..<(start + w * channels)]
        }
        return Raster(width: w, height: h, channels: channels, pixels: out)
    }

    /// Bilinear resampling (centres aligned).
    func resized(width nw: Int, height nh: Int) -> Raster {
        var out = [UInt8](repeating: 0, count: nw * nh * channels)
        let sx = Double(width) / Double(nw), sy = Double(height) / Double(nh)
        for y in 0..<nh {
            let fy = max(0, (Double(y) + 0.5) * sy - 0.5)
            let y0 = min(Int(fy), height - 1), y1 = min(y0 + 1, height - 1), ay = fy - Double(y0)
            for x in 0..<nw {
                let fx = max(0, (Double(x) + 0.5) * sx - 0.5)
                let x0 = min(Int(fx), width - 1), x1 = min(x0 + 1, width - 1), ax = fx - Double(x0)
                for c in 0..<channels {
                    func p(_ xx: Int, _ yy: Int) -> Double { Double(pixels[(yy * width + xx) * channels + c]) }
                    let v = (p(x0, y0) * (1 - ax) + p(x1, y0) * ax) * (1 - ay) + (p(x0, y1) * (1 - ax) + p(x1, y1) * ax) * ay
                    out[(y * nw + x) * channels + c] = UInt8(max(0, min(255, v.rounded())))
                }
            }
        }
        return Raster(width: nw, height: nh, channels: channels, pixels: out)
    }

    func mirrored() -> Raster { oriented(.upMirrored) }

    func mapped(_ f: (Double) -> Double) -> Raster {
        let table = (0..<256).map { UInt8(max(0, min(255, f(Double($0)).rounded()))) }
        return Raster(width: width, height: height, channels: channels, pixels: pixels.map { table[Int($0)] })
    }

    /// A hard one-sided shadow: × 0.2 left of 45 % of the width, ramping to × 1 at 53 %.
    func sideShadow() -> Raster {
        var out = pixels
        for y in 0..<height {
            for x in 0..<width {
                let t = Swift.max(0, Swift.min(1, (Double(x) / Double(width) - 0.45) / 0.08))
                let f = 0.2 + 0.8 * t
                for c in 0..<channels {
                    let i = (y * width + x) * channels + c
                    out[i] = UInt8(Double(pixels[i]) * f)
                }
            }
        }
        return Raster(width: width, height: height, channels: channels, pixels: out)
    }

    /// Three passes of a separable box blur (close to a Gaussian).
    func blurred(radius r: Int) -> Raster {
        var cur = pixels.map { Double($0) }
        for _ in 0..<3 {
            for horizontal in [true, false] {
                var next = cur
                let (n, m) = horizontal ? (height, width) : (width, height)
                for a in 0..<n {
                    for c in 0..<channels {
                        func idx(_ b: Int) -> Int {
                            let bb = Swift.max(0, Swift.min(m - 1, b))
                            return (horizontal ? (a * width + bb) : (bb * width + a)) * channels + c
                        }
                        var sum = 0.0
                        for k in -r...r { sum += cur[idx(k)] }
                        for b in 0..<m {
                            next[idx(b)] = sum / Double(2 * r + 1)
                            sum += cur[idx(b + r + 1)] - cur[idx(b - r)]
                        }
                    }
                }
                cur = next
            }
        }
        return Raster(width: width, height: height, channels: channels, pixels: cur.map { UInt8(Swift.max(0, Swift.min(255, $0.rounded()))) })
    }

    /// `other` painted over this raster with its corner at (x, y) (clipped to this raster).
    func pasting(_ other: Raster, x: Int, y: Int) -> Raster {
        var out = pixels
        for oy in 0..<other.height where y + oy >= 0 && y + oy < height {
            for ox in 0..<other.width where x + ox >= 0 && x + ox < width {
                for c in 0..<channels { out[((y + oy) * width + x + ox) * channels + c] = other.pixels[(oy * other.width + ox) * channels + c] }
            }
        }
        return Raster(width: width, height: height, channels: channels, pixels: out)
    }

    func besides(_ other: Raster) -> Raster {
        var out: [UInt8] = []
        for y in 0..<height {
            out += pixels[(y * width * channels)..<((y + 1) * width * channels)]
            out += other.pixels[(y * other.width * channels)..<((y + 1) * other.width * channels)]
        }
        return Raster(width: width + other.width, height: height, channels: channels, pixels: out)
    }

    /// Rotated about the centre (counter-clockwise), edges filled with the mean border colour.
    func rotated(degrees: Double) -> Raster {
        let a = degrees * Double.pi / 180, cs = cos(a), sn = sin(a)
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        var out = [UInt8](repeating: 0, count: pixels.count)
        let fill = (0..<channels).map { c in UInt8((0..<width).reduce(0) { $0 + Int(pixels[$1 * channels + c]) } / width) }
        for y in 0..<height {
            for x in 0..<width {
                let dx = Double(x) - cx, dy = Double(y) - cy
                let sx = cs * dx - sn * dy + cx, sy = sn * dx + cs * dy + cy
                let ix = Int(sx.rounded(.down)), iy = Int(sy.rounded(.down))
                for c in 0..<channels {
                    let d = (y * width + x) * channels + c
                    guard ix >= 0, iy >= 0, ix + 1 < width, iy + 1 < height else { out[d] = fill[c]; continue }
                    let fx = sx - Double(ix), fy = sy - Double(iy)
                    func p(_ xx: Int, _ yy: Int) -> Double { Double(pixels[(yy * width + xx) * channels + c]) }
                    let v = (p(ix, iy) * (1 - fx) + p(ix + 1, iy) * fx) * (1 - fy) + (p(ix, iy + 1) * (1 - fx) + p(ix + 1, iy + 1) * fx) * fy
                    out[d] = UInt8(v.rounded())
                }
            }
        }
        return Raster(width: width, height: height, channels: channels, pixels: out)
    }

    /// This image placed at (x, y) on a canvas filled with a studio grey.
    func placed(onWidth w: Int, height h: Int, x: Int, y: Int) -> Raster {
        var out = [UInt8](repeating: 150, count: w * h * channels)
        for row in 0..<height {
            let src = row * width * channels, dst = ((row + y) * w + x) * channels
            for k in 0..<(width * channels) { out[dst + k] = pixels[src + k] }
        }
        return Raster(width: w, height: h, channels: channels, pixels: out)
    }
}

func makeEvalSet(source: String, dir: String) {
    do {
        let bytes = try FileByteSource(path: source).readAll()
        let decoded = try PhotoDecoder.decode(bytes, header: Probe.header(of: bytes), minimumLongSide: .max, maxPixels: 0)
        var r = decoded.raster
        if r.channels == 4 {  // drop alpha
            var rgb: [UInt8] = []
            for i in 0..<(r.width * r.height) { rgb += r.pixels[(i * 4)..<(i * 4 + 3)] }
            r = Raster(width: r.width, height: r.height, channels: 3, pixels: rgb)
        }
        guard r.width == 512, r.height == 512 else { fatalError("\(source): expected the 512×512 astronaut image") }
        var labels = "# file\texpected verdict\trule that must fire\twhat it is\n"
        for v in EvalSet.variants(source: r) {
            let name = v.name + ".jpg"
            write(jpeg(v.raster, quality: 88), dir + "/" + name)
            labels += "\(name)\t\(v.verdict)\t\(v.rule)\t\(v.what)\n"
        }
        write(Array(labels.utf8), dir + "/labels.tsv")
    } catch {
        fatalError("evalset: \(error)")
    }
}
