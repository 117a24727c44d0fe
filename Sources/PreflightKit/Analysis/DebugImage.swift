#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FaceFinder
import PhotoCodec

/// `--debug-dir`: a small annotated PNG per photo showing what the analysis saw.
///
/// - a band along the top in the verdict's colour (green pass, yellow warn, orange fixable, red fail)
/// - the main face box in green, other accepted faces in red, rejected candidates in grey,
///   profile detections in magenta
/// - eyes as cyan crosses; the estimated crown (blue) and chin (blue) lines across the face;
///   the 1.8·T shoulder line (white) below the eyes
/// - the cheek patches the lighting rule compares, in yellow
public enum DebugImage {
    /// The debug file name for a reported path: separators become "__".
    public static func fileName(for path: String) -> String {
        var name = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        while name.hasPrefix("/") { name.removeFirst() }
        name = name.replacing("/", with: "__")
        return name + ".png"
    }

    static func write(_ raster: Raster, analysis a: FaceAnalysis, result: FileResult, folder: OutputFolder) {
        var c = Canvas(raster)
        let k = 1 / a.scale  // original → analysis pixels
        let band = max(4, c.height / 40)
        let verdictColour: [UInt8] = switch result.verdict {
        case .pass: [40, 200, 60]
        case .warn: [240, 210, 40]
        case .fixable: [255, 140, 0]
        case .fail: [230, 30, 30]
        }
        c.fill(Box(x: 0, y: 0, width: c.width, height: band), verdictColour)
        for f in a.scene.rejected { c.rect(f.box.scaled(by: k), [150, 150, 150]) }
        for p in a.scene.profiles { c.rect(p.scaled(by: k), [230, 0, 230]) }
        for (i, f) in a.scene.faces.enumerated() {
            c.rect(f.box.scaled(by: k), i == 0 ? [0, 255, 0] : [255, 0, 0], thickness: 2)
            for e in [f.leftEye, f.rightEye].compactMap({ $0 }) { c.cross(Point(x: e.x * k, y: e.y * k), [0, 255, 255]) }
        }
        if let g = a.geometry {
            let bx = Int(Double(g.box.x) * k), bw = Int(Double(g.box.width) * k)
            let crown = Int((g.eyeMid.y - 1.25 * g.t) * k), chin = Int(g.chinY * k), shoulders = Int((g.eyeMid.y + 1.8 * g.t) * k)
            c.hline(y: crown, from: bx, to: bx + bw, [60, 120, 255])
            c.hline(y: chin, from: bx, to: bx + bw, [60, 120, 255])
            c.hline(y: shoulders, from: bx - bw / 2, to: bx + bw + bw / 2, [255, 255, 255])
            let side = max(3, Int(0.3 * g.ied * k))
            for dx in [-g.ied / 2, g.ied / 2] {
                let cx = Int((g.eyeMid.x + dx) * k), cy = Int((g.eyeMid.y + 0.6 * g.ied) * k)
                c.rect(Box(x: cx - side / 2, y: cy - side / 2, width: side, height: side), [255, 255, 0])
            }
        }
        guard let png = try? PNGCodec.encode(c.raster, compressionLevel: 6) else { return }
        _ = try? folder.write(png, to: FilePath(fileName(for: result.path)), replace: true)
    }
}

/// Minimal RGB drawing on a raster (clipped).
struct Canvas {
    var raster: Raster
    var width: Int { raster.width }
    var height: Int { raster.height }

    init(_ r: Raster) {
        // Always draw in RGB.
        if r.channels == 3 { raster = r; return }
        var rgb = [UInt8]()
        rgb.reserveCapacity(r.width * r.height * 3)
        for i in 0..<(r.width * r.height) {
            if r.channels == 1 { let v = r.pixels[i]; rgb += [v, v, v] }
            else { rgb += r.pixels[(i * r.channels)..<(i * r.channels + 3)] }
        }
        raster = Raster(width: r.width, height: r.height, channels: 3, pixels: rgb)
    }

    mutating func set(_ x: Int, _ y: Int, _ c: [UInt8]) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let p = (y * width + x) * 3
        raster.pixels[p] = c[0]; raster.pixels[p + 1] = c[1]; raster.pixels[p + 2] = c[2]
    }

    mutating func fill(_ b: Box, _ c: [UInt8]) {
        for y in max(0, b.y)..<min(height, b.maxY) { for x in max(0, b.x)..<min(width, b.maxX) { set(x, y, c) } }
    }

    mutating func hline(y: Int, from x0: Int, to x1: Int, _ c: [UInt8]) {
        guard x1 > x0 else { return }
        for x in x0...x1 { set(x, y, c) }
    }

    mutating func rect(_ b: Box, _ c: [UInt8], thickness: Int = 1) {
        for t in 0..<thickness {
            for x in b.x...max(b.x, b.maxX) { set(x, b.y + t, c); set(x, b.maxY - t, c) }
            for y in b.y...max(b.y, b.maxY) { set(b.x + t, y, c); set(b.maxX - t, y, c) }
        }
    }

    mutating func cross(_ p: Point, _ c: [UInt8]) {
        let x = Int(p.x.rounded()), y = Int(p.y.rounded())
        for d in -4...4 { set(x + d, y, c); set(x, y + d, c) }
    }
}
