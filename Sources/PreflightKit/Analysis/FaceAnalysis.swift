import FaceFinder
import PhotoCodec

/// Everything the face and light rules read, measured once per photo. Coordinates are in the
/// displayed (EXIF-rotated) original's pixels.
public struct FaceAnalysis: Sendable {
    public var imageWidth: Int
    public var imageHeight: Int
    /// Analysis pixels per original pixel is 1 / `scale`.
    public var scale: Double
    public var scene: FaceScene
    public var main: Face? { scene.faces.first }
    public var measures: LightMeasures?
    /// Whole-image colour.
    public var isGreyscale: Bool
    /// Mean Sobel gradient outside the head-and-shoulders region (on a copy ~350 px wide).
    public var backgroundClutter: Double?

    /// Geometry of the main face.
    public struct Geometry: Sendable {
        public var box: Box
        public var eyeMid: Point
        /// Inter-eye distance (estimated from the box when the eyes were not found).
        public var ied: Double
        public var eyesFound: Bool
        /// Eye midpoint to chin.
        public var t: Double
        public var chinY: Double
    }

    public var geometry: Geometry? { main.map(Self.geometry(of:)) }

    /// The geometry of one face (box and eyes in some image's pixels).
    public static func geometry(of f: Face) -> Geometry {
        let b = f.box
        let eyes: Point, ied: Double
        if let l = f.leftEye, let r = f.rightEye {
            eyes = Point(x: (l.x + r.x) / 2, y: (l.y + r.y) / 2)
            ied = f.interEyeDistance ?? 0
        } else {
            // A frontal-cascade box has the eyes ~37 % down, ~42 % of its width apart.
            eyes = Point(x: b.centerX, y: Double(b.y) + 0.37 * Double(b.height))
            ied = 0.42 * Double(b.width)
        }
        let chin = Double(b.y) + 1.02 * Double(b.height)
        return Geometry(box: b, eyeMid: eyes, ied: ied, eyesFound: f.verified, t: max(1, chin - eyes.y), chinY: chin)
    }
}

/// Light and detail measured on the main face.
public struct LightMeasures: Sendable {
    /// Share of face pixels with luma ≤ 30 and ≥ 250.
    public var darkShare: Double
    public var clippedShare: Double
    public var meanLuma: Double
    /// Histogram intersection of the two cheek patches (1 = same light, 0 = disjoint).
    public var cheekIntersection: Double
    /// |left − right| / max of the face halves' mean luma.
    public var halfAsymmetry: Double
    /// Which side is darker, as the viewer sees it.
    public var darkerSide: String
    /// Variance of the Laplacian on the face resampled to a fixed size, contrast-normalised
    /// (scaled as if the face's luma standard deviation were 48), so dim or flat light does not read as blur.
    public var sharpness: Double
    /// The face had enough analysis pixels (≥ 64 px wide) for the sharpness measure to mean anything.
    public var sharpnessReliable: Bool
    /// Face chromaticity (r, g, b shares of the mean colour).
    public var chroma: (r: Double, g: Double, b: Double)
}

public enum FaceAnalyzer {
    /// The analysis image's long side: decodes aim at ≥ 480 px (JPEG DCT scaling), then shrink to ≤ 640.
    public static let minimumLongSide = 480
    public static let maximumLongSide = 640
    /// Face crops for sharpness are resampled to this width.
    public static let sharpnessWidth = 96

    /// Analyses upright pixels `raster`, which show the displayed image `width`×`height` shrunk.
    public static func analyse(_ raster: Raster, displayWidth: Int, displayHeight: Int, finder: FaceFinder) -> FaceAnalysis {
        analyseKeepingRaster(raster, displayWidth: displayWidth, displayHeight: displayHeight, finder: finder).0
    }

    /// The analysis and the (shrunk) pixels it ran on, for the debug image.
    static func analyseKeepingRaster(_ raster: Raster, displayWidth: Int, displayHeight: Int,
                                     finder: FaceFinder) -> (FaceAnalysis, Raster) {
        var rgb = raster
        let long = max(rgb.width, rgb.height)
        if long > maximumLongSide {
            let k = Double(maximumLongSide) / Double(long)
            rgb = rgb.resizedForAnalysis(width: max(1, Int((Double(rgb.width) * k).rounded())),
                                         height: max(1, Int((Double(rgb.height) * k).rounded())))
        }
        let gray = GrayImage(width: rgb.width, height: rgb.height, channels: rgb.channels == 4 ? 4 : rgb.channels,
                             interleaved: rgb.pixels)
        let scale = Double(displayWidth) / Double(rgb.width)
        let scene = finder.find(in: gray, color: rgb.pixels, channels: rgb.channels)
        var analysis = FaceAnalysis(imageWidth: displayWidth, imageHeight: displayHeight, scale: scale,
                                    scene: scene.scaled(by: scale), measures: nil,
                                    isGreyscale: isGreyscale(rgb), backgroundClutter: nil)
        if let face = scene.faces.first {
            analysis.measures = light(rgb: rgb, gray: gray, face: face)
            analysis.backgroundClutter = clutter(gray, face: face.box)
        }
        return (analysis, rgb)
    }

    static func isGreyscale(_ r: Raster) -> Bool {
        guard r.channels >= 3 else { return true }
        var total = 0, n = 0
        let c = r.channels
        var i = 0
        while i + 2 < r.pixels.count {
            let a = Int(r.pixels[i]), b = Int(r.pixels[i + 1]), d = Int(r.pixels[i + 2])
            total += max(abs(a - b), abs(b - d), abs(a - d))
            n += 1
            i += c * 7  // a sample is enough
        }
        return n == 0 || Double(total) / Double(n) < 3
    }

    static func light(rgb: Raster, gray: GrayImage, face: Face) -> LightMeasures {
        let b = face.box
        // Inner face: skip hair at the top and background at the sides.
        let inner = Box(x: b.x + b.width * 3 / 20, y: b.y + b.height / 10, width: b.width * 7 / 10, height: b.height * 8 / 10)
        var dark = 0, clipped = 0, n = 0, sum = 0
        var leftSum = 0, leftN = 0, rightSum = 0, rightN = 0
        var rs = 0, gs = 0, bs = 0
        let midX = face.leftEye != nil && face.rightEye != nil ? Int(((face.leftEye!.x + face.rightEye!.x) / 2).rounded()) : b.x + b.width / 2
        for y in max(0, inner.y)..<min(gray.height, inner.maxY) {
            for x in max(0, inner.x)..<min(gray.width, inner.maxX) {
                let v = Int(gray[x, y])
                n += 1
                sum += v
                if v <= 30 { dark += 1 }
                if v >= 250 { clipped += 1 }
                if x < midX { leftSum += v; leftN += 1 } else { rightSum += v; rightN += 1 }
                if rgb.channels >= 3 {
                    let p = (y * rgb.width + x) * rgb.channels
                    rs += Int(rgb.pixels[p]); gs += Int(rgb.pixels[p + 1]); bs += Int(rgb.pixels[p + 2])
                }
            }
        }
        n = max(1, n)
        let leftMean = Double(leftSum) / Double(max(1, leftN)), rightMean = Double(rightSum) / Double(max(1, rightN))
        let asym = abs(leftMean - rightMean) / max(1, max(leftMean, rightMean))

        // Cheek patches: below each eye, side 0.3·IED (at least 5 px).
        let ied = face.interEyeDistance ?? 0.42 * Double(b.width)
        let le = face.leftEye ?? Point(x: Double(b.x) + 0.29 * Double(b.width), y: Double(b.y) + 0.37 * Double(b.height))
        let re = face.rightEye ?? Point(x: Double(b.x) + 0.71 * Double(b.width), y: Double(b.y) + 0.37 * Double(b.height))
        let side = max(5, Int((0.3 * ied).rounded()))
        func histogram(_ c: Point) -> [Double] {
            var h = [Double](repeating: 0, count: 16)
            let x0 = Int(c.x) - side / 2, y0 = Int(c.y + 0.6 * ied) - side / 2
            var count = 0.0
            for y in max(0, y0)..<min(gray.height, y0 + side) {
                for x in max(0, x0)..<min(gray.width, x0 + side) {
                    h[Int(gray[x, y]) >> 4] += 1
                    count += 1
                }
            }
            return h.map { $0 / max(1, count) }
        }
        let hl = histogram(le), hr = histogram(re)
        let intersection = zip(hl, hr).reduce(0) { $0 + min($1.0, $1.1) }

        // Sharpness: Laplacian variance on the inner face resampled to a fixed width.
        let crop = gray.cropped(inner)
        let w = sharpnessWidth, h = max(8, Int(Double(crop.height) * Double(w) / Double(max(1, crop.width))))
        let norm = crop.resized(width: w, height: h)
        var isum = 0.0, isq = 0.0
        for v in norm.pixels { isum += Double(v); isq += Double(v) * Double(v) }
        let imean = isum / Double(norm.pixels.count)
        let istd = max(4, (isq / Double(norm.pixels.count) - imean * imean).squareRoot())
        var lsum = 0.0, lsq = 0.0, ln = 0.0
        for y in 1..<(h - 1) {
            for x in 1..<(w - 1) {
                let c = 4 * Int(norm[x, y]) - Int(norm[x - 1, y]) - Int(norm[x + 1, y]) - Int(norm[x, y - 1]) - Int(norm[x, y + 1])
                lsum += Double(c); lsq += Double(c * c); ln += 1
            }
        }
        let mean = lsum / max(1, ln)
        let variance = lsq / max(1, ln) - mean * mean

        let total = Double(max(1, rs + gs + bs))
        return LightMeasures(
            darkShare: Double(dark) / Double(n), clippedShare: Double(clipped) / Double(n), meanLuma: Double(sum) / Double(n),
            cheekIntersection: intersection, halfAsymmetry: asym, darkerSide: leftMean < rightMean ? "left" : "right",
            sharpness: variance * (48 / istd) * (48 / istd), sharpnessReliable: crop.width >= 64, chroma: (Double(rs) / total, Double(gs) / total, Double(bs) / total))
    }

    /// Mean Sobel magnitude outside the head-and-shoulders region, on a copy at most 350 px wide.
    static func clutter(_ gray: GrayImage, face: Box) -> Double? {
        let k = min(1, 350 / Double(gray.width))
        let g = k < 1 ? gray.resized(width: 350, height: max(3, Int(Double(gray.height) * k))) : gray
        guard g.width >= 3, g.height >= 3 else { return nil }
        let f = face.scaled(by: Double(g.width) / Double(gray.width))
        let head = Box(x: f.x - f.width * 3 / 5, y: f.y - f.height * 3 / 5, width: f.width * 11 / 5, height: f.height * 19 / 10)
        let body = Box(x: f.x - f.width * 13 / 10, y: f.maxY, width: f.width * 36 / 10, height: g.height)
        var sum = 0.0, n = 0.0
        for y in 1..<(g.height - 1) {
            for x in 1..<(g.width - 1) {
                if x >= head.x && x < head.maxX && y >= head.y && y < head.maxY { continue }
                if x >= body.x && x < body.maxX && y >= body.y { continue }
                func p(_ dx: Int, _ dy: Int) -> Int { Int(g[x + dx, y + dy]) }
                let gx = p(1, -1) + 2 * p(1, 0) + p(1, 1) - p(-1, -1) - 2 * p(-1, 0) - p(-1, 1)
                let gy = p(-1, 1) + 2 * p(0, 1) + p(1, 1) - p(-1, -1) - 2 * p(0, -1) - p(1, -1)
                sum += Double(gx * gx + gy * gy).squareRoot()
                n += 1
            }
        }
        // Too little background to judge (a close-up): no measure.
        return n < Double(g.width * g.height) * 0.1 ? nil : sum / n
    }
}

extension Raster {
    /// Box-filtered shrink for analysis (each output pixel averages its source area).
    func resizedForAnalysis(width nw: Int, height nh: Int) -> Raster {
        let c = channels
        var out = [UInt8](repeating: 0, count: nw * nh * c)
        pixels.withUnsafeBufferPointer { src in
            for y in 0..<nh {
                let ya = y * height / nh, yb = max(ya + 1, (y + 1) * height / nh)
                for x in 0..<nw {
                    let xa = x * width / nw, xb = max(xa + 1, (x + 1) * width / nw)
                    let count = (yb - ya) * (xb - xa)
                    for k in 0..<c {
                        var s = 0
                        for yy in ya..<yb {
                            for xx in xa..<xb { s += Int(src[(yy * width + xx) * c + k]) }
                        }
                        out[(y * nw + x) * c + k] = UInt8((s + count / 2) / count)
                    }
                }
            }
        }
        return Raster(width: nw, height: nh, channels: c, pixels: out)
    }
}
