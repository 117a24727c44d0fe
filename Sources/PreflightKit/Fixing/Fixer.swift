#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FaceFinder
import PhotoCodec

/// What `fix` did, or would do, with one photo.
public struct FixResult: Sendable {
    public enum Action: String, Sendable {
        /// Nothing needed changing: copied byte for byte.
        case copy
        /// Rewritten (re-rendered, losslessly rewritten or metadata removed); the output passes.
        case render
        /// No output: the reasons say why.
        case unfixable
    }
    public var path: String
    public var action: Action
    /// What changes and why, in order, each with the findings it answers (empty for a copy).
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
    /// The plan the output was made from.
    public var plan: FixPlan?

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

/// Executes fix plans: copies, metadata edits, lossless JPEG rewrites and pixel renders, each
/// output encoded within the budget and re-checked before it counts.
public struct Fixer: Sendable {
    public let checker: Checker
    public let options: FixOptions
    public let limits: FixLimits

    public init(checker: Checker, options: FixOptions) {
        self.checker = checker
        self.options = options
        limits = FixLimits(profile: checker.profile, maxBytes: options.maxBytes)
    }

    public func plan(_ before: FileResult) -> FixPlan { FixPlanner.plan(before, limits: limits, options: options) }

    /// The format a photo with `header` is written in (names the output before any work).
    public func outputFormat(_ header: PhotoHeader) -> ImageFormat {
        FixPlanner.outputFormat(header: header, limits: limits, options: options)
    }

    /// What executing a plan will hold in memory, and the scale its pixels are loaded at.
    public struct MemoryPlan: Sendable, Equatable {
        public var bytes: Int
        /// 1, or 2, 4, 8 when a full-resolution render would not fit the limit: the pixels are
        /// then decoded already shrunk (JPEG DCT scaling, PNG block means), as libvips'
        /// shrink-on-load does. Never below what a frame needs (no enlargement past the limit).
        public var scale: Int
    }

    /// The memory plan for executing `plan` on the photo in `file` within `limit` bytes, or nil
    /// when it cannot fit (not even an eighth-scale render). From headers alone.
    public func memoryPlan(_ plan: FixPlan, file: FileByteSource, header: PhotoHeader, limit: Int) -> MemoryPlan? {
        let encoded = EncodedSource.file(file)
        guard plan.writes, let W = header.displayWidth, let H = header.displayHeight, W > 0, H > 0 else {
            return MemoryPlan(bytes: 0, scale: 1)
        }
        // The re-check of the output: no more than the check of the photo itself.
        let check = (try? checker.cost(encoded, header: header)) ?? 0
        switch plan.route {
        case .none: return MemoryPlan(bytes: 0, scale: 1)
        case .copy, .edit:
            let bytes = 2 * file.count + check
            return bytes <= limit ? MemoryPlan(bytes: bytes, scale: 1) : nil
        case .transcode:
            guard let coefficients = try? JPEGTranscoder.cost(encoded) else { return MemoryPlan(bytes: check, scale: 1) }
            // The output grows by doubling: up to twice its size while written. The coefficients
            // are released before the output is re-checked.
            let out = plan.fitBudget ? plan.budget : max(plan.budget, file.count)
            let bytes = max(coefficients + 2 * out, out + check)
            return bytes <= limit ? MemoryPlan(bytes: bytes, scale: 1) : nil
        case .render:
            let crop = plan.crop ?? PixelRect(x: 0, y: 0, width: W, height: H)
            for scale in [1, 2, 4, 8] {
                // A frame may not be enlarged past the limit by loading smaller.
                if let size = plan.outputSize, scale > 1 {
                    let up = max(Double(size.width * scale) / Double(crop.width), Double(size.height * scale) / Double(crop.height))
                    if up > options.upscaleLimit + 1e-9 { break }
                } else if plan.outputSize == nil && scale > 1
                            && (crop.width / scale < limits.minWidth || crop.height / scale < limits.minHeight) {
                    // A photo keeps its resolution unless it cannot fit the memory limit, and then
                    // never below the profile's minimum (the step says so; --memory-limit keeps it).
                    break
                }
                let cw = Double(crop.width) / Double(scale), ch = Double(crop.height) / Double(scale)
                var source = cw * ch
                if plan.turn != nil { source *= 1.5 }  // the turned crop's bounding box
                if plan.pad { source = Double(W * H) / Double(scale * scale) }
                guard let region = try? PhotoDecoder.regionCost(encoded, header: header, pixels: Int(source.rounded(.up)), scale: scale)
                else { continue }
                let outPixels = plan.outputSize.map { $0.width * $0.height } ?? Int(cw * ch)
                // The cut, the resized copy, the colour-converted copy, libjpeg's coefficient
                // buffer (optimised Huffman keeps the image) and the encoded bytes.
                let output = outPixels * 3 * 3 + outPixels * 2 * 2 + 2 * plan.budget
                let total = max(check, region + output)
                if total <= limit { return MemoryPlan(bytes: total, scale: scale) }
            }
            return nil
        }
    }

    /// Executes `plan` for the photo in `file` (checked as `before`) into an output named
    /// `outputPath`; writes nothing. `loadScale` (from `memoryPlan`) decodes shrunk.
    public func execute(_ plan: FixPlan, before: FileResult, source: EncodedSource, outputPath: String,
                        loadScale: Int = 1) -> FixResult {
        var result = FixResult(path: before.path, action: .unfixable, steps: plan.steps.map(\.description), reasons: [],
                               before: before, after: nil, output: nil)
        result.outputPath = outputPath
        result.plan = plan
        guard let header = before.header else {
            result.reasons = ["the file cannot be read as a photo"]
            return result
        }
        var output: [UInt8]?
        switch plan.route {
        case .none:
            result.reasons = plan.unfixable
            return result
        case .copy:
            guard let bytes = try? source.readAll() else {
                result.reasons = ["the file cannot be read"]
                return result
            }
            result.action = .copy
            result.output = bytes
            // The output name may differ from the input's (a PNG named .jpg becomes .png).
            result.after = extensionOf(outputPath) == extensionOf(before.path) ? before : checker.check(bytes: bytes, path: outputPath)
            return result
        case .edit:
            guard let bytes = try? source.readAll() else {
                result.reasons = ["the file cannot be read"]
                return result
            }
            output = header.format == .png ? ContainerEditor.pngStrippingMetadata(bytes) : ContainerEditor.jpegStrippingMetadata(bytes)
            if output == nil { result.reasons = ["the file's structure could not be walked to remove its metadata"] }
        case .transcode:
            output = transcode(plan, header: header, source: source, result: &result)
        case .render:
            output = render(plan, header: header, source: source, scale: max(1, loadScale), size: nil, result: &result)
        }
        guard let bytes = output else {
            if result.reasons.isEmpty { result.reasons = ["no output could be made"] }
            return result
        }
        let after = checker.check(bytes: bytes, path: outputPath.isEmpty ? result.path : outputPath)
        result.after = after
        let remaining = after.findings.filter { $0.severity == .error }
        if !remaining.isEmpty {
            result.reasons = remaining.map { "after fixing, \($0.ruleID) still fails: \($0.message)" }
            return result
        }
        result.action = .render
        result.output = bytes
        return result
    }

    /// Fixes the photo held in `bytes` (reported as `path`): check, plan, execute. For tests and
    /// callers with the file in memory; the command streams from the file.
    public func fix(bytes: [UInt8], path: String, outputPath: String) -> FixResult {
        let before = checker.check(bytes: bytes, path: path)
        return execute(plan(before), before: before, source: .memory(bytes), outputPath: outputPath)
    }

    private func extensionOf(_ path: String) -> String {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return "" }
        return path[path.index(after: dot)...].lowercased()
    }

    // MARK: - Lossless JPEG rewriting

    /// Rewrites the JPEG from its coefficients: turned upright losslessly, metadata kept (EXIF
    /// orientation set to 1) or dropped, requantised to the best quality under the budget;
    /// downscaled by the least factor only when the quality floor cannot fit.
    private func transcode(_ plan: FixPlan, header: PhotoHeader, source: EncodedSource, result: inout FixResult) -> [UInt8]? {
        let transcoder: JPEGTranscoder
        do {
            transcoder = try JPEGTranscoder(source, orientation: plan.orient ? header.orientation.rawValue : 1,
                                            maxMemory: checker.memory.limit == Int.max ? 0 : checker.memory.limit)
        } catch {
            result.reasons = ["the JPEG's coefficients cannot be read: \(error)"]
            return nil
        }
        var probing = EncodedByteSource(source)
        var segments = (JPEGSegment.metadata(of: &probing) ?? []).filter { !$0.isCodecOwned }
        if plan.stripMetadata { segments = segments.filter(\.isICC) }
        if plan.orient { segments = segments.map { $0.isExif ? JPEGSegment(marker: $0.marker, payload: ContainerEditor.exifSettingOrientationUp($0.payload)) : $0 } }
        // The rewrite's size is known exactly before it counts: aim just under the budget.
        let limit = plan.budget - plan.budget / 200
        do {
            if !plan.fitBudget {
                let lossless = try transcoder.write(tableScale: nil, crop: plan.crop, segments: segments)
                if lossless.count <= limit { return lossless }
            }
            if let fitted = try fitBudget(transcoder, crop: plan.crop, limit: limit, segments: segments, result: &result) { return fitted }
        } catch {
            result.reasons = ["the JPEG could not be rewritten: \(error)"]
            return nil
        }
        // The quality floor cannot fit: the least downscale that does, rendered from pixels.
        return render(plan, header: header, source: source, scale: 1, size: nil, shrinkToFit: true, result: &result)
    }

    /// The best quality (lowest level of the quality ladder) whose output fits `limit`, searched
    /// on every eighth MCU row (sizes scale with rows to within about 1 %) and confirmed on the
    /// whole image; nil when even the quality floor does not fit.
    private func fitBudget(_ t: JPEGTranscoder, crop: PixelRect?, limit: Int, segments: [JPEGSegment], result: inout FixResult) throws(CodecError) -> [UInt8]? {
        let ladder = QualityLadder(maxScale: JPEGTranscoder.tableScale(quality: options.qualityFloor))
        let floor = ladder.top
        let metadata = segments.reduce(0) { $0 + $1.payload.count + 4 }
        let rows = crop?.height ?? t.height
        let step = rows >= 2048 ? 8 : rows >= 512 ? 4 : 1
        var cache: [Int: Int] = [:]
        func estimate(_ level: Int) throws(CodecError) -> Int {
            if let e = cache[level] { return e }
            let e = try t.write(tables: ladder.tables(at: level), crop: crop, sampleStep: step).count * step + metadata
            cache[level] = e
            return e
        }
        func whole(_ level: Int) throws(CodecError) -> [UInt8] {
            try t.write(tables: ladder.tables(at: level), crop: crop, segments: segments)
        }
        // Aim a little under the limit on the sample, then confirm on the whole image.
        let target = step > 1 ? limit - limit / 100 : limit
        guard try estimate(floor) <= target || step == 1 else {
            // The sample says the floor cannot fit; the whole image decides.
            let bytes = try whole(floor)
            if bytes.count <= limit { return bytes }
            return nil
        }
        /// Bisection on the ladder: the lowest level whose estimate fits.
        func lowest(fitting goal: Double, ratio: Double, above: Int = 0, below: Int = floor) throws(CodecError) -> Int {
            var lo = above, hi = below
            if Double(try estimate(lo)) * ratio <= goal { return lo }
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if Double(try estimate(mid)) * ratio <= goal { hi = mid } else { lo = mid }
            }
            return hi
        }
        var level = try lowest(fitting: Double(target), ratio: 1)
        var chosen: (level: Int, bytes: [UInt8])?
        for _ in 0..<8 {
            let bytes = try whole(level)
            if bytes.count <= limit {
                chosen = (level, bytes)
                break
            }
            if level >= floor { return nil }
            let scale = ladder.scale(at: level)
            level = min(floor, max(level + 1, ladder.level(atScale: scale + max(2, scale / 25))))
        }
        guard var best = chosen else { return nil }
        // The whole image calibrates the sample: one more try at the lowest level the calibrated
        // estimate says fits (sizes fall smoothly along the ladder, so it usually does). If that
        // overshoots, the level lies between the two: one more try halfway.
        if step > 1 && best.bytes.count < limit - limit / 100 {
            let ratio = Double(best.bytes.count) / Double(try estimate(best.level))
            let scale = ladder.scale(at: best.level)
            let near = ladder.level(atScale: scale - max(2, scale / 10))
            let finer = try lowest(fitting: Double(limit) * 0.999, ratio: ratio, above: min(near, best.level), below: best.level)
            if finer < best.level {
                let bytes = try whole(finer)
                if bytes.count <= limit {
                    best = (finer, bytes)
                } else if best.level - finer > 1 {
                    let middle = (finer + best.level + 1) / 2
                    let between = try whole(middle)
                    if between.count <= limit { best = (middle, between) }
                }
            }
        }
        let size = crop.map { "\($0.width)×\($0.height)" } ?? "\(t.width)×\(t.height)"
        let text = "requantise to \(qualityName(ladder.scale(at: best.level))): \(Units.bytes(best.bytes.count)) at full resolution (\(size)) [file_size]"
        if let i = result.steps.firstIndex(where: { $0.hasPrefix("requantise") }) { result.steps[i] = text } else { result.steps.append(text) }
        return best.bytes
    }

    private func qualityName(_ scale: Int) -> String {
        // libjpeg's quality for a table scale (inverse of tableScale(quality:)), to one decimal.
        let q = scale <= 1000 ? Double(2000 - scale) / 20 : 50_000 / Double(scale)
        return "JPEG quality ≈ \(format1(q))"
    }

    // MARK: - Rendering pixels

    /// Decodes what the plan needs, turns, crops (mirroring the photo's edges where it pads),
    /// resizes, converts colours to sRGB and encodes within the budget. `shrinkToFit` (from a
    /// transcode whose quality floor could not fit) keeps the quality at the floor and finds the
    /// least downscale that fits.
    private func render(_ plan: FixPlan, header: PhotoHeader, source: EncodedSource, scale s: Int, size: (Int, Int)?,
                        shrinkToFit: Bool = false, result: inout FixResult) -> [UInt8]? {
        guard let fullW = header.displayWidth, let fullH = header.displayHeight else { return nil }
        let W0 = (fullW + s - 1) / s, H0 = (fullH + s - 1) / s
        if s > 1 {
            result.steps.insert("note: decode at 1/\(s) size (\(W0)×\(H0)): the full \(fullW)×\(fullH) would not fit the memory limit "
                                + "(raise --memory-limit to keep it)", at: 0)
        }
        let profile = colourProfile(header: header, source: source, result: &result)
        func upright(_ raster: Raster) -> Raster { raster.channels == 3 ? raster : raster.rgb(over: options.background) }
        // The plan's rectangle at the load scale.
        let crop = plan.crop.map { PixelRect(x: $0.x / s, y: $0.y / s, width: max(1, $0.width / s), height: max(1, $0.height / s)) }
            ?? PixelRect(x: 0, y: 0, width: W0, height: H0)
        let turn = plan.turn.map { FixPlan.Turn(degrees: $0.degrees, cx: $0.cx / Double(s), cy: $0.cy / Double(s)) }
        // The source pixels the crop samples: the crop, or the bounding box of its turned corners.
        var needed = crop
        if let turn {
            var xs: [Double] = [], ys: [Double] = []
            for (px, py) in [(crop.x, crop.y), (crop.x + crop.width - 1, crop.y), (crop.x, crop.y + crop.height - 1),
                             (crop.x + crop.width - 1, crop.y + crop.height - 1)] {
                let (sx, sy) = Raster.sourcePoint(ofLevelled: Double(px), Double(py), degrees: turn.degrees, cx: turn.cx, cy: turn.cy)
                xs.append(sx)
                ys.append(sy)
            }
            let x0 = Int(xs.min()!.rounded(.down)) - 1, y0 = Int(ys.min()!.rounded(.down)) - 1
            needed = PixelRect(x: x0, y: y0, width: Int(xs.max()!.rounded(.up)) + 2 - x0, height: Int(ys.max()!.rounded(.up)) + 2 - y0)
        }
        let reachesOut = needed.x < 0 || needed.y < 0 || needed.x + needed.width > W0 || needed.y + needed.height > H0
        let clipped = PixelRect(x: max(0, needed.x), y: max(0, needed.y),
                                width: min(W0, needed.x + needed.width) - max(0, needed.x),
                                height: min(H0, needed.y + needed.height) - max(0, needed.y))
        guard clipped.width > 0, clipped.height > 0 else {
            result.reasons = ["the crop lies outside the photo"]
            return nil
        }
        let region: Raster
        do {
            region = upright(try PhotoDecoder.decode(source, header: header, region: clipped, scale: s, maxPixels: checker.maxPixels).raster)
        } catch {
            result.reasons = ["decode: \(error)"]
            return nil
        }
        var out: Raster
        if let turn {
            out = region.levelledRegion(degrees: turn.degrees, cx: turn.cx - Double(clipped.x), cy: turn.cy - Double(clipped.y),
                                        x: crop.x - clipped.x, y: crop.y - clipped.y, width: crop.width, height: crop.height,
                                        mirror: reachesOut)
        } else if crop == PixelRect(x: 0, y: 0, width: W0, height: H0) && clipped == crop {
            out = region
        } else {
            out = region.mirroredRegion(x: crop.x - clipped.x, y: crop.y - clipped.y, width: crop.width, height: crop.height)
        }
        if let target = plan.outputSize ?? size.map({ (width: $0.0, height: $0.1) }), target.width != out.width || target.height != out.height {
            out = out.resampled(width: target.width, height: target.height)
        }
        if let profile {
            result.steps.append("convert the colours from \(profile.name) to sRGB")
            out = profile.convertToSRGB(out)
        }
        let limit = plan.budget - plan.budget / 50
        if plan.format == .png {
            if let png = try? PNGCodec.encode(out, compressionLevel: 9), png.count <= limit { return png }
            result.reasons = ["the PNG is over \(Units.bytes(plan.budget)); --format jpeg can fit it"]
            return nil
        }
        let (minW, minH) = (limits.minWidth, limits.minHeight)
        var attempt = out
        if shrinkToFit {
            // At the floor quality, the size falls with the pixel count: start from that estimate.
            guard let atFloor = jpeg(out, quality: options.qualityFloor) else { return nil }
            if atFloor.count > limit {
                var f = (Double(limit) / Double(atFloor.count)).squareRoot() * 0.99
                while true {
                    let nw = Int(Double(out.width) * f), nh = Int(Double(out.height) * f)
                    guard nw >= minW, nh >= minH else {
                        result.reasons = ["no encoding fits \(plan.budget) bytes at quality ≥ \(options.qualityFloor) and ≥ \(minW)×\(minH) px"]
                        return nil
                    }
                    attempt = out.resampled(width: nw, height: nh)
                    if let e = jpeg(attempt, quality: options.qualityFloor), e.count <= limit {
                        result.steps.append("quality \(options.qualityFloor) cannot fit \(Units.bytes(plan.budget)) at \(out.width)×\(out.height): "
                                            + "shrink to \(nw)×\(nh), the least that fits")
                        return e
                    }
                    f *= 0.97
                }
            }
            return atFloor
        }
        while true {
            if let encoded = encodeWithin(attempt, limit: limit, steps: &result.steps) { return encoded }
            let nw = Int(Double(attempt.width) * 0.9), nh = Int(Double(attempt.height) * 0.9)
            guard nw >= minW, nh >= minH else {
                result.reasons = ["no encoding fits \(plan.budget) bytes at quality ≥ \(options.qualityFloor) and ≥ \(minW)×\(minH) px"]
                return nil
            }
            result.steps.append("shrink to \(nw)×\(nh) to fit the size budget")
            attempt = out.resampled(width: nw, height: nh)
        }
    }

    /// The photo's colour profile when it is not sRGB (outputs carry none: pixels are converted).
    private func colourProfile(header: PhotoHeader, source: EncodedSource, result: inout FixResult) -> ColorProfile? {
        guard header.hasICC else { return nil }
        if header.format == .jpeg {
            var probing = EncodedByteSource(source)
            let segments = JPEGSegment.metadata(of: &probing)?.filter(\.isICC) ?? []
            // A JPEG of just its ICC segments is what the profile reader walks.
            var mini: [UInt8] = [0xFF, 0xD8]
            for s in segments { mini += [0xFF, s.marker, UInt8((s.payload.count + 2) >> 8), UInt8((s.payload.count + 2) & 0xFF)] + s.payload }
            mini += [0xFF, 0xD9]
            guard let icc = ColorProfile.jpegICC(mini) else { return nil }
            if let parsed = ColorProfile.parse(icc) { return parsed.isSRGB ? nil : parsed }
            result.steps.append("note: the embedded colour profile is not a matrix/TRC RGB profile; colours are kept as they are")
            return nil
        }
        // PNG: the chunks before the image data.
        guard let prefix = pngPrefix(source) else { return nil }
        let (icc, hasGamma) = ColorProfile.pngICC(prefix)
        guard let icc, let parsed = ColorProfile.parse(icc) else {
            result.steps.append("note: the PNG's colour profile (iCCP) is unreadable or not a matrix/TRC RGB profile; colours are kept as they are")
            return nil
        }
        if parsed.isSRGB { return nil }
        if hasGamma {
            // libpng's decoder has already applied the gAMA chunk's curve; applying the profile's
            // too would count the gamma twice.
            result.steps.append("note: the PNG has both a colour profile and a gAMA chunk; only the gamma is applied")
            return nil
        }
        return parsed
    }

    /// A PNG's bytes up to its first IDAT chunk (its header chunks), at most 16 MB.
    private func pngPrefix(_ file: EncodedSource) -> [UInt8]? {
        var source = EncodedByteSource(file)
        var at = 8
        while at + 8 <= min(file.count, 16 << 20) {
            guard let head = try? source.bytes(at: at, length: 8), head.count == 8 else { return nil }
            let h = Array(head)
            let length = Int(h[0]) << 24 | Int(h[1]) << 16 | Int(h[2]) << 8 | Int(h[3])
            if h[4...7].elementsEqual(Array("IDAT".utf8)) { break }
            at += 12 + length
        }
        guard let bytes = try? source.bytes(at: 0, length: min(at, file.count)) else { return nil }
        return Array(bytes)
    }

    private func jpeg(_ raster: Raster, quality: Int) -> [UInt8]? {
        var o = JPEGCodec.EncodeOptions()
        o.quality = quality
        return try? JPEGCodec.encode(raster, options: o)
    }

    /// JPEG: a binary search on quality between the floor and 95 for the best that fits `limit`.
    private func encodeWithin(_ raster: Raster, limit: Int, steps: inout [String]) -> [UInt8]? {
        if let best = jpeg(raster, quality: 95), best.count <= limit { return best }
        guard let floor = jpeg(raster, quality: options.qualityFloor), floor.count <= limit else { return nil }
        var lo = options.qualityFloor, hi = 95, found = floor
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if let e = jpeg(raster, quality: mid), e.count <= limit { lo = mid; found = e } else { hi = mid }
        }
        steps.append("JPEG quality \(lo) to fit \(Units.bytes(limit + limit / 49))")
        return found
    }
}

func format2(_ v: Double) -> String {
    let t = Int((v * 100).rounded())
    return "\(t / 100).\(t % 100 < 10 ? "0" : "")\(t % 100)"
}
