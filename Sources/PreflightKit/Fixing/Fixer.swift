#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FaceFinder
import PhotoCodec

/// How `preflight fix` renders.
public struct FixOptions: Sendable {
    public enum Frame: String, Sendable, CaseIterable {
        case portrait, landscape, square, keep
        /// Output size, or nil to keep the crop's own size.
        public var size: (width: Int, height: Int)? {
            switch self {
            case .portrait: (720, 1280)
            case .landscape: (1280, 720)
            case .square: (720, 720)
            case .keep: nil
            }
        }
    }
    public enum Fit: String, Sendable, CaseIterable { case cover, contain }
    public enum Format: String, Sendable, CaseIterable { case jpeg, png }

    public var frame = Frame.portrait
    public var fit = Fit.cover
    /// The size budget; nil takes the profile's `file_size.max_bytes`.
    public var maxBytes: Int?
    public var qualityFloor = 70
    public var format = Format.jpeg
    /// The most a crop may be enlarged to reach the frame.
    public var maxUpscale = 2.0
    /// Alpha is flattened onto this colour.
    public var background: (UInt8, UInt8, UInt8) = (255, 255, 255)
    public init() {}
}

/// What `fix` did, or would do, with one photo.
public struct FixResult: Sendable {
    public enum Action: String, Sendable {
        /// Already passes in the requested form: copied byte for byte.
        case copy
        /// Re-rendered; the output passes.
        case render
        /// No output: the reasons say why.
        case unfixable
    }
    public var path: String
    public var action: Action
    /// What changes and why, in order (empty for a copy).
    public var steps: [String]
    /// Why no passing output can be made.
    public var reasons: [String]
    public var before: FileResult
    /// The output's own check (nil when unfixable before rendering).
    public var after: FileResult?
    /// The output file's bytes (nil when unfixable).
    public var output: [UInt8]?
    /// Where the output goes (the re-check judges its name too).
    public var outputPath = ""

    public init(path: String, action: Action, steps: [String], reasons: [String], before: FileResult,
                after: FileResult?, output: [UInt8]?) {
        self.path = path
        self.action = action
        self.steps = steps
        self.reasons = reasons
        self.before = before
        self.after = after
        self.output = output
    }
}

/// The image pipeline: bake orientation and colour, level the eyes, crop shoulders-up around the
/// face, resize, encode within the size budget, strip metadata, then re-check the result.
public struct Fixer: Sendable {
    public let checker: Checker
    /// nil when the profile's face rules are off: the crop is then centred on the photo.
    public let finder: FaceFinder?
    public let options: FixOptions

    public init(checker: Checker, finder: FaceFinder?, options: FixOptions) {
        self.checker = checker
        self.finder = finder
        self.options = options
    }

    /// The profile's limits the output must meet.
    var budget: Int {
        if let b = options.maxBytes { return b }
        if case .integer(let n)? = checker.profile.rules["file_size"]?.options.values["max_bytes"] { return n }
        return 10_000_000
    }
    var minimumSide: (Int, Int) {
        let o = checker.profile.rules["resolution"]?.options.values
        var w = 512, h = 512
        if case .integer(let n)? = o?["min_width"] { w = n }
        if case .integer(let n)? = o?["min_height"] { h = n }
        return (w, h)
    }

    /// What fixing a photo will hold in memory, and the scale its pixels are loaded at.
    public struct MemoryPlan: Sendable, Equatable {
        /// Bytes to reserve: the file read whole, and the larger of its check and its render.
        public var bytes: Int
        /// 1, or 2, 4, 8 when the full-resolution render would not fit the limit: the pixels are
        /// then decoded already shrunk (JPEG DCT scaling, PNG block means), as libvips'
        /// shrink-on-load does. Never below what the frame needs: `finish` refuses an enlargement
        /// beyond --max-upscale.
        public var scale: Int
    }

    /// The memory plan for fixing the photo in `file` (header `header`) within `limit` bytes, or nil
    /// when even an eighth-scale render would not fit. Computed from the headers alone, before any
    /// pixel is decoded, as a bound on what the render can decode:
    /// - cover: the largest crop of the frame's shape inside the photo, and (with the face rules
    ///   on) the box around it turned by up to 25°, the most a head is levelled, within the photo;
    /// - contain: the whole photo, and the largest padded canvas a face could ask for (the crop is
    ///   the face's height / 0.32 tall).
    public func memoryPlan(file: FileByteSource, header: PhotoHeader, limit: Int) -> MemoryPlan? {
        let encoded = EncodedSource.file(file)
        guard header.format.isDecodable, let W = header.displayWidth, let H = header.displayHeight, W > 0, H > 0,
              let check = try? checker.cost(encoded, header: header) else {
            // Nothing will be decoded: the check refuses it from its header.
            return MemoryPlan(bytes: file.count, scale: 1)
        }
        let aspect: Double = options.frame.size.map { Double($0.width) / Double($0.height) } ?? Double(W) / Double(H)
        // The re-check of the output and the encoder's buffers: a few frames' worth.
        let frame = options.frame.size.map { $0.width * $0.height } ?? W * H
        for scale in [1, 2, 4, 8] {
            let w = Double((W + scale - 1) / scale), h = Double((H + scale - 1) / scale)
            var pixels: Double
            switch options.fit {
            case .cover:
                let cw = min(w, h * aspect), ch = min(h, w / aspect)
                let turn = finder == nil ? 0 : 25 * Double.pi / 180
                pixels = min(w, cw * cos(turn) + ch * sin(turn)) * min(h, cw * sin(turn) + ch * cos(turn))
            case .contain:
                let tallest = max(w, h) / 0.32
                pixels = w * h + min(tallest * tallest * aspect, 4e9)
            }
            guard let region = try? PhotoDecoder.regionCost(encoded, header: header, pixels: Int(pixels.rounded(.up)), scale: scale)
            else { continue }
            let output = min(Int(pixels), frame) * 3 * 4
            let total = file.count + max(check, region + output)
            if total <= limit { return MemoryPlan(bytes: total, scale: scale) }
        }
        return nil
    }

    /// Fixes the photo held in `bytes` (reported as `path`) for an output named `outputPath`
    /// (its extension is checked against the content); writes nothing. `loadScale` (from
    /// `memoryPlan`) decodes the pixels shrunk by 2, 4 or 8 when the full-size ones would not fit.
    public func fix(bytes: [UInt8], path: String, outputPath: String, loadScale: Int = 1) -> FixResult {
        let before = checker.check(bytes: bytes, path: path)
        var result = FixResult(path: path, action: .unfixable, steps: [], reasons: [], before: before, after: nil, output: nil)
        result.outputPath = outputPath
        // Errors fix cannot repair need another photo. (An off-centre face without room to crop
        // around is repairable by padding, with --fit contain.)
        let hopeless = before.findings.filter {
            $0.severity == .error && !$0.fixable && !(options.fit == .contain && $0.ruleID == "face_centered")
        }
        if !hopeless.isEmpty {
            result.reasons = hopeless.map { "\($0.ruleID): \($0.message)" }
            return result
        }
        let header = before.header
        let requestedFormat: ImageFormat = options.format == .jpeg ? .jpeg : .png
        let needsChange = before.findings.contains { $0.fixable && $0.severity >= .info }
        let sizeOK = options.frame.size.map { header?.displayWidth == $0.width && header?.displayHeight == $0.height } ?? true
        if !needsChange && sizeOK && header?.format == requestedFormat && before.verdict != .fail && before.verdict != .fixable
            && bytes.count <= budget {
            result.action = .copy
            result.after = before
            result.output = bytes
            return result
        }
        render(bytes: bytes, header: header, scale: max(1, loadScale), into: &result)
        return result
    }

    private func render(bytes: [UInt8], header: PhotoHeader?, scale s: Int, into result: inout FixResult) {
        guard let header, let fullW = header.displayWidth, let fullH = header.displayHeight, fullW > 0, fullH > 0 else {
            result.reasons = ["the file cannot be read as a photo"]
            return
        }
        // Everything below is in the pixels of the photo loaded at 1/s.
        let W0 = (fullW + s - 1) / s, H0 = (fullH + s - 1) / s
        var steps: [String] = []
        if s > 1 {
            steps.append("note: decode at 1/\(s) size (\(W0)×\(H0)): the full \(fullW)×\(fullH) would not fit the memory limit")
        }
        // Outputs carry no profile, so pixels in another colour space (Display P3 from phones,
        // Adobe RGB) are converted to sRGB at the end.
        var profile: ColorProfile?
        if header.format == .jpeg, header.hasICC, let icc = ColorProfile.jpegICC(bytes) {
            if let parsed = ColorProfile.parse(icc) {
                if !parsed.isSRGB { profile = parsed }
            } else {
                steps.append("note: the embedded colour profile is not a matrix/TRC RGB profile; colours are kept as they are")
            }
        } else if header.format == .png, header.hasICC {
            let (icc, hasGamma) = ColorProfile.pngICC(bytes)
            if let icc, let parsed = ColorProfile.parse(icc) {
                if !parsed.isSRGB && hasGamma {
                    // libpng's decoder has already applied the gAMA chunk's curve; applying the
                    // profile's too would count the gamma twice.
                    steps.append("note: the PNG has both a colour profile and a gAMA chunk; only the gamma is applied")
                } else if !parsed.isSRGB {
                    profile = parsed
                }
            } else {
                steps.append("note: the PNG's colour profile (iCCP) is unreadable or not a matrix/TRC RGB profile; colours are kept as they are")
            }
        }
        if header.orientation != .up { steps.append("rotate the pixels upright (EXIF orientation \(header.orientation.rawValue))") }
        let conversionStep = steps.count
        // Pixels are decoded only once the crop is known, and then only those under it. The whole
        // photo is decoded when padding needs its border colour or a turned head must be found again.
        var converted = false
        func upright(_ raster: Raster) -> Raster {
            guard raster.channels != 3 else { return raster }
            if !converted {
                steps.insert(raster.channels == 4 ? "flatten the transparency onto a plain background" : "convert grey to RGB",
                             at: conversionStep)
                converted = true
            }
            return raster.rgb(over: options.background)
        }
        var wholePhoto: Raster?
        func whole() -> Raster? {
            if let wholePhoto { return wholePhoto }
            do {
                let decoded = try PhotoDecoder.decode(bytes, header: header, region: PixelRect(x: 0, y: 0, width: W0, height: H0),
                                                      scale: s, maxPixels: checker.maxPixels)
                wholePhoto = upright(decoded.raster)
            } catch {
                result.reasons = ["decode: \(error)"]
            }
            return wholePhoto
        }
        /// The pixels of `rect` (inside the photo) and where they start, from the whole photo if
        /// it was decoded, else from a region decode.
        func pixels(of rect: PixelRect) -> (raster: Raster, x: Int, y: Int)? {
            if let wholePhoto { return (wholePhoto, 0, 0) }
            do {
                let decoded = try PhotoDecoder.decode(bytes, header: header, region: rect, scale: s, maxPixels: checker.maxPixels)
                return (upright(decoded.raster), rect.x, rect.y)
            } catch {
                result.reasons = ["decode: \(error)"]
                return nil
            }
        }
        let W = Double(W0), H = Double(H0)
        let aspect: Double = options.frame.size.map { Double($0.width) / Double($0.height) } ?? W / H

        guard let finder else {
            // Face rules off: the frame is cut from (or padded around) the photo's centre.
            var w = W, h = H
            let contain = options.fit == .contain
            if (w / h > aspect) != contain { w = h * aspect } else { h = w / aspect }
            let rect = PixelRect(x: Int(((W - w) / 2).rounded()), y: Int(((H - h) / 2).rounded()),
                                 width: max(1, Int(w.rounded())), height: max(1, Int(h.rounded())))
            let inside = rect.x >= 0 && rect.y >= 0 && rect.x + rect.width <= W0 && rect.y + rect.height <= H0
            let cropped: Raster
            if inside {
                guard let p = pixels(of: rect) else { return }
                cropped = p.raster.region(x: rect.x - p.x, y: rect.y - p.y, width: rect.width, height: rect.height, fill: p.raster.borderMean)
            } else {
                guard let all = whole() else { return }
                cropped = all.region(x: rect.x, y: rect.y, width: rect.width, height: rect.height, fill: all.borderMean)
            }
            finish(cropped, cropNote: "cut the frame from the photo's centre (face rules are off)", profile: profile, steps: steps,
                   into: &result)
            return
        }
        // The face as the check found it (display pixels). A head the check found only in a
        // turned copy is found again in that copy (at analysis size).
        var turn: (degrees: Double, cx: Double, cy: Double)?
        var found = result.before.faces?.faces.first.map { s == 1 ? $0 : $0.scaled(by: 1 / Double(s)) }
        if found == nil, let angle = result.before.faces?.rotatedFaceAngle {
            guard let raster = whole() else { return }
            let k = min(1, 640 / Double(max(raster.width, raster.height)))
            let small = raster.resampled(width: max(1, Int(Double(raster.width) * k)), height: max(1, Int(Double(raster.height) * k)))
            let turned = small.levelled(degrees: angle, cx: Double(small.width) / 2, cy: Double(small.height) / 2)
            found = FaceAnalyzer.analyse(turned, displayWidth: raster.width, displayHeight: raster.height, finder: finder).main
            if found != nil {
                turn = (angle, W / 2, H / 2)
                steps.append("turn the photo \(Int(abs(angle)))° \(angle > 0 ? "anticlockwise" : "clockwise") to level the head")
            }
        }
        guard let face = found else {
            result.reasons = ["no face was found to crop around"]
            return
        }
        var g = FaceAnalysis.geometry(of: face)
        // Levelling turns the photo about the eye midpoint; the crop is then chosen in the
        // levelled frame (eyes level, face box the same size about its turned centre), and only
        // the crop's pixels are computed.
        if turn == nil, let roll = face.rollDegrees, abs(roll) > 2 {
            turn = (roll, g.eyeMid.x, g.eyeMid.y)
            let a = -roll * Double.pi / 180
            let dx = g.box.centerX - g.eyeMid.x, dy = g.box.centerY - g.eyeMid.y
            let c = Point(x: g.eyeMid.x + cos(a) * dx - sin(a) * dy, y: g.eyeMid.y + sin(a) * dx + cos(a) * dy)
            g.box = Box(x: Int((c.x - Double(g.box.width) / 2).rounded()), y: Int((c.y - Double(g.box.height) / 2).rounded()),
                        width: g.box.width, height: g.box.height)
            g.chinY = c.y + (g.chinY - g.box.centerY)
            steps.append("level the eyes (turn \(Int(abs(roll).rounded()))° \(roll > 0 ? "anticlockwise" : "clockwise"))")
        }
        // Shoulders-up crop: face box about 32 % of the height, eye line 42 % from the top,
        // the face centred.
        var h = Double(g.box.height) / 0.32
        let eyeFraction = 0.42
        var crop: (x: Double, y: Double, w: Double, h: Double)
        var padded = false
        switch options.fit {
        case .contain:
            crop = (g.eyeMid.x - h * aspect / 2, g.eyeMid.y - eyeFraction * h, h * aspect, h)
            padded = crop.x < 0 || crop.y < 0 || crop.x + crop.w > W || crop.y + crop.h > H
        case .cover:
            // The largest crop up to the wanted size that lies inside the photo (and, after
            // levelling, inside the turned photo's corners, so no edge smear or wedge shows), with
            // the face centred to 4 % of the width and the eye line between 35 % and 50 %.
            h = min(h, H, W / aspect)
            func fits(_ x: Double, _ y: Double, _ w: Double, _ h: Double) -> Bool {
                guard x >= 0, y >= 0, x + w <= W + 0.01, y + h <= H + 0.01 else { return false }
                guard let turn else { return true }
                for (px, py) in [(x, y), (x + w - 1, y), (x, y + h - 1), (x + w - 1, y + h - 1)] {
                    let (sx, sy) = Raster.sourcePoint(ofLevelled: px, py, degrees: turn.degrees, cx: turn.cx, cy: turn.cy)
                    if sx < -0.5 || sy < -0.5 || sx > W - 0.5 || sy > H - 0.5 { return false }
                }
                return true
            }
            var found: (x: Double, y: Double, w: Double, h: Double)?
            // The crop must also leave what the rules ask for: at most 45 % of the height for
            // the face box (framing fails a close-up at 55 %), and a side margin of 1.0 inter-eye
            // distances beyond each eye (face_cut_off fails under 0.9).
            search: while Double(g.box.height) / h <= 0.45 {
                let w = h * aspect
                for f in [0.42, 0.40, 0.44, 0.38, 0.46, 0.36, 0.48, 0.35, 0.5] {
                    for dx in [0, -0.02, 0.02, -0.04, 0.04] {
                        let x = g.eyeMid.x - w / 2 + dx * w, y = g.eyeMid.y - f * h
                        let margin = min(g.eyeMid.x - g.ied / 2 - x, x + w - (g.eyeMid.x + g.ied / 2))
                        if margin >= 1.0 * g.ied && fits(x, y, w, h) { found = (x, y, w, h); break search }
                    }
                }
                h *= 0.97
            }
            guard let found else {
                result.reasons = ["not enough photo around the face for a shoulders-up \(options.frame.rawValue) crop: "
                                  + "the face is too close to an edge (use --fit contain to pad instead)"]
                return
            }
            crop = found
        }
        let cropW = max(1, Int(crop.w.rounded())), cropH = max(1, Int(crop.h.rounded()))
        let cropX = Int(crop.x.rounded()), cropY = Int(crop.y.rounded())
        // The source pixels the crop samples: the crop itself, or the bounding box of its
        // turned corners (bilinear samples reach one pixel further).
        var source = PixelRect(x: cropX, y: cropY, width: cropW, height: cropH)
        if let turn {
            var xs: [Double] = [], ys: [Double] = []
            for (px, py) in [(cropX, cropY), (cropX + cropW - 1, cropY), (cropX, cropY + cropH - 1), (cropX + cropW - 1, cropY + cropH - 1)] {
                let (sx, sy) = Raster.sourcePoint(ofLevelled: Double(px), Double(py), degrees: turn.degrees, cx: turn.cx, cy: turn.cy)
                xs.append(sx)
                ys.append(sy)
            }
            let x0 = Int(xs.min()!.rounded(.down)) - 1, y0 = Int(ys.min()!.rounded(.down)) - 1
            source = PixelRect(x: x0, y: y0, width: Int(xs.max()!.rounded(.up)) + 2 - x0, height: Int(ys.max()!.rounded(.up)) + 2 - y0)
        }
        // Padding takes the whole photo's border colour; a crop whose samples stay within the
        // photo (edge pixels clamp alike in a region) needs only its region.
        let padding = options.fit == .contain
            && (source.x < 0 || source.y < 0 || source.x + source.width > W0 || source.y + source.height > H0)
        let p: (raster: Raster, x: Int, y: Int)
        if padding {
            guard let all = whole() else { return }
            p = (all, 0, 0)
        } else {
            let clipped = PixelRect(x: max(0, source.x), y: max(0, source.y),
                                    width: min(W0, source.x + source.width) - max(0, source.x),
                                    height: min(H0, source.y + source.height) - max(0, source.y))
            guard clipped.width > 0, clipped.height > 0 else {
                result.reasons = ["the crop around the face lies outside the photo"]
                return
            }
            guard let region = pixels(of: clipped) else { return }
            p = region
        }
        let fill = options.fit == .contain ? p.raster.borderMean : nil
        let cropped = turn.map {
            p.raster.levelledRegion(degrees: $0.degrees, cx: $0.cx - Double(p.x), cy: $0.cy - Double(p.y), x: cropX - p.x, y: cropY - p.y,
                                    width: cropW, height: cropH, fill: fill)
        } ?? p.raster.region(x: cropX - p.x, y: cropY - p.y, width: cropW, height: cropH, fill: fill ?? p.raster.borderMean)
        finish(cropped,
               cropNote: "crop shoulders-up around the face: \(cropW)×\(cropH) at (\(Int(crop.x.rounded())), \(Int(crop.y.rounded())))"
                   + (padded ? ", padding beyond the photo's edges with its border colour" : ""),
               profile: profile, steps: steps, into: &result)
    }

    /// Resize the cropped pixels to the frame, encode within the budget, re-check.
    private func finish(_ cropped: Raster, cropNote: String, profile: ColorProfile?, steps: [String], into result: inout FixResult) {
        var steps = steps
        let cropW = cropped.width, cropH = cropped.height
        let target = options.frame.size ?? (cropW, cropH)
        let upscale = max(Double(target.height) / Double(cropH), Double(target.width) / Double(cropW))
        if upscale > options.maxUpscale + 1e-9 {
            result.reasons = ["the crop is only \(cropW)×\(cropH) px; the \(target.width)×\(target.height) frame "
                              + "would enlarge it \(String(format2(upscale)))× (at most \(String(format2(options.maxUpscale)))×)"]
            return
        }
        steps.append(cropNote)
        var out = cropped
        if target.width != cropW || target.height != cropH {
            steps.append("resize to \(target.width)×\(target.height)")
            out = out.resampled(width: target.width, height: target.height)
        }
        if let profile {
            steps.append("convert the colours from \(profile.name) to sRGB")
            out = profile.convertToSRGB(out)
        }

        // Encode within the budget (2 % margin): the best quality that fits, then smaller sizes.
        let limit = budget - budget / 50
        var encoded: [UInt8]?
        let (minW, minH) = minimumSide
        var attempt = out
        while encoded == nil {
            encoded = encode(attempt, limit: limit, steps: &steps)
            if encoded != nil { break }
            let nw = Int(Double(attempt.width) * 0.9), nh = Int(Double(attempt.height) * 0.9)
            guard options.format == .jpeg, nw >= minW, nh >= minH else {
                result.reasons = ["no encoding fits \(budget) bytes at quality ≥ \(options.qualityFloor) and ≥ \(minW)×\(minH) px"]
                return
            }
            steps.append("shrink to \(nw)×\(nh) to fit the size budget")
            attempt = out.resampled(width: nw, height: nh)
        }
        steps.append("write \(options.format == .jpeg ? "JPEG" : "PNG") without metadata (no EXIF, GPS, XMP or comments)")
        guard let bytes = encoded else { return }
        let after = checker.check(bytes: bytes, path: result.outputPath.isEmpty ? result.path : result.outputPath)
        result.steps = steps
        result.after = after
        let remaining = after.findings.filter { $0.severity == .error }
        if !remaining.isEmpty {
            result.reasons = remaining.map { "after fixing, \($0.ruleID) still fails: \($0.message)" }
            return
        }
        result.action = .render
        result.output = bytes
    }

    /// JPEG: a binary search on quality between the floor and 95 for the best that fits `limit`.
    private func encode(_ raster: Raster, limit: Int, steps: inout [String]) -> [UInt8]? {
        if options.format == .png {
            guard let png = try? PNGCodec.encode(raster, compressionLevel: 9), png.count <= limit else { return nil }
            return png
        }
        func jpeg(_ q: Int) -> [UInt8]? {
            var o = JPEGCodec.EncodeOptions()
            o.quality = q
            return try? JPEGCodec.encode(raster, options: o)
        }
        if let best = jpeg(95), best.count <= limit { return best }
        guard let floor = jpeg(options.qualityFloor), floor.count <= limit else { return nil }
        var lo = options.qualityFloor, hi = 95, found = floor
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if let e = jpeg(mid), e.count <= limit { lo = mid; found = e } else { hi = mid }
        }
        steps.append("JPEG quality \(lo) to fit \(budget) bytes")
        return found
    }
}

func format2(_ v: Double) -> String {
    let t = Int((v * 100).rounded())
    return "\(t / 100).\(t % 100 < 10 ? "0" : "")\(t % 100)"
}
