/// Decodes a probed JPEG or PNG: for analysis at the smallest scale that keeps the long side at or
/// above what the rules need (JPEG DCT scaling; a PNG shrunk row by row by the same factor), or a
/// rectangle for rendering. The pixel limit is checked from the header first, the EXIF orientation
/// is applied so every coordinate is in the displayed frame, and `cost` says beforehand how much
/// memory a decode will hold, for the `MemoryBudget`.
public enum PhotoDecoder {
    public struct Decoded: Sendable {
        /// Upright pixels (orientation applied), at 1/`scale` of the displayed size.
        public var raster: Raster
        /// The scale denominator (JPEG DCT scaling, or the PNG's shrink factor).
        public var scale: Int
        /// Data problems the decoder survived: lost data (error) or stray bytes (warning).
        public var integrity: Integrity
        /// Some pixel is not fully opaque (only PNG carries alpha; judged at full resolution).
        public var alphaUsed: Bool
    }

    public enum Integrity: Sendable, Equatable {
        case intact
        /// The data ended early: the bottom of the image is missing.
        case truncated(String)
        /// Entropy-coded data is corrupt: parts of the image are garbage.
        case damaged(String)
        /// Harmless oddities (extraneous bytes between markers, an ancillary chunk's bad CRC).
        case quirk(String)
    }

    /// The scale denominator (1, 2, 4, 8) that keeps `longSide / scale >= minimumLongSide`.
    public static func scale(forLongSide longSide: Int, minimumLongSide: Int) -> Int {
        var scale = 8
        while scale > 1 && (longSide + scale - 1) / scale < minimumLongSide { scale /= 2 }
        return scale
    }

    /// Memory a decode for analysis will hold, in bytes: the decoded pixels, the upright copy,
    /// and the decoder's own (a progressive JPEG's coefficients, a PNG's row and shrink sums).
    /// Reads only headers. Throws what the decode would throw for headers it cannot read.
    public static func cost(
        _ source: EncodedSource, header: PhotoHeader, minimumLongSide: Int
    ) throws(CodecError) -> Int {
        let longSide = max(header.width ?? 0, header.height ?? 0)
        let scale = scale(forLongSide: longSide, minimumLongSide: minimumLongSide)
        switch header.format {
        case .jpeg:
            let info = try JPEGCodec.inspect(source, scale: scale)
            let pixels = info.width * info.height
            // CMYK comes as 4 channels and is converted to a 3-channel copy.
            let decoded = pixels * info.components + (info.components == 4 ? pixels * 3 : 0)
            return decoded + pixels * 3 + info.workingBytes
        case .png:
            let info = try PNGCodec.inspect(source)
            let ow = (info.width + scale - 1) / scale, oh = (info.height + scale - 1) / scale
            let out = ow * oh * info.channels
            let sums = scale == 1 ? 0 : (info.interlaced ? out * 4 : ow * info.channels * 4)
            return out * 2 + sums + info.width * 8 + (1 << 20)
        default:
            return 0
        }
    }

    /// Memory a region decode for rendering will hold (the decoded rectangle, its cut and upright
    /// copies, the decoder's own), for a rectangle of `pixels` displayed pixels at 1/`scale`.
    public static func regionCost(
        _ source: EncodedSource, header: PhotoHeader, pixels: Int, scale: Int
    ) throws(CodecError) -> Int {
        switch header.format {
        case .jpeg:
            let info = try JPEGCodec.inspect(source, scale: scale)
            return pixels * info.components * 3 + info.workingBytes
        case .png:
            let info = try PNGCodec.inspect(source)
            let sums = scale == 1 ? 0 : (info.interlaced ? pixels * info.channels * 4 : 0)
            return pixels * info.channels * 3 + sums + info.width * 8 + (1 << 20)
        default:
            return 0
        }
    }

    /// Decodes `bytes` whose header is `header`; see `decode(_:header:minimumLongSide:…)`.
    public static func decode(
        _ bytes: [UInt8], header: PhotoHeader, minimumLongSide: Int, maxPixels: Int
    ) throws(CodecError) -> Decoded {
        try decode(.memory(bytes), header: header, minimumLongSide: minimumLongSide, maxPixels: maxPixels)
    }

    /// Decodes the photo in `source` whose header is `header`. `minimumLongSide` is the analysis
    /// size the rules need (1 = as small as possible: integrity only). Throws `.tooLarge` before
    /// decoding when the header's pixel count exceeds `maxPixels`, or when the decoder's working
    /// memory would exceed `maxWorkingBytes` (> 0). `strict` makes libjpeg report corrupt Huffman
    /// data it would otherwise decode silently (see `JPEGCodec.decode`).
    public static func decode(
        _ source: EncodedSource, header: PhotoHeader, minimumLongSide: Int, maxPixels: Int,
        maxWorkingBytes: Int = 0, strict: Bool = false
    ) throws(CodecError) -> Decoded {
        try checkLimit(header, maxPixels: maxPixels)
        let longSide = max(header.width ?? 0, header.height ?? 0)
        let scale = scale(forLongSide: longSide, minimumLongSide: minimumLongSide)
        switch header.format {
        case .jpeg:
            let decoded = try JPEGCodec.decode(source, scale: scale, maxPixels: maxPixels, maxWorkingBytes: maxWorkingBytes,
                                               strictHuffman: strict)
            return Decoded(raster: decoded.raster.oriented(header.orientation), scale: scale, integrity: Integrity(decoded),
                           alphaUsed: false)
        case .png:
            let decoded = try PNGCodec.decode(source, factor: scale, maxPixels: maxPixels)
            let integrity: Integrity = decoded.warning.map { .quirk($0) } ?? .intact
            return Decoded(raster: decoded.raster.oriented(header.orientation), scale: scale, integrity: integrity,
                           alphaUsed: decoded.alphaUsed)
        default:
            throw CodecError(.unsupported, "\(header.format.displayName) files are not decoded")
        }
    }

    /// Decodes only the displayed rectangle `rect` of the photo shrunk to 1/`scale` (clamped to
    /// it), upright: the same pixels as that rectangle of a whole decode at that scale. Only the
    /// stored pixels under it (and a small margin) are decoded — for a JPEG libjpeg skips the
    /// inverse DCT for other columns, for a PNG other columns are dropped as rows arrive, and both
    /// stop after its last row — and only they are turned upright.
    public static func decode(
        _ bytes: [UInt8], header: PhotoHeader, region rect: PixelRect, scale: Int = 1, maxPixels: Int
    ) throws(CodecError) -> Decoded {
        try decode(.memory(bytes), header: header, region: rect, scale: scale, maxPixels: maxPixels)
    }

    /// The same, from a file read in blocks (the photo is never held whole).
    public static func decode(
        _ source: EncodedSource, header: PhotoHeader, region rect: PixelRect, scale: Int = 1, maxPixels: Int
    ) throws(CodecError) -> Decoded {
        guard header.format == .jpeg || header.format == .png,
              let w0 = header.width, let h0 = header.height, let dw0 = header.displayWidth, let dh0 = header.displayHeight else {
            throw CodecError(.unsupported, "\(header.format.displayName) files are not decoded")
        }
        try checkLimit(header, maxPixels: maxPixels)
        let s = max(1, scale)
        let w = (w0 + s - 1) / s, h = (h0 + s - 1) / s, dw = (dw0 + s - 1) / s, dh = (dh0 + s - 1) / s
        let x0 = max(0, rect.x), y0 = max(0, rect.y)
        let x1 = min(dw, rect.x + rect.width), y1 = min(dh, rect.y + rect.height)
        guard x1 > x0, y1 > y0 else { throw CodecError(.corrupt, "the region \(rect) lies outside the \(dw)×\(dh) photo") }
        let stored = header.orientation.storedRect(of: PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0), width: w, height: h)
        // A margin around the rectangle gives chroma upsampling the same neighbours as in a whole
        // decode, so the pixels are identical to the same rectangle of one.
        let m = header.format == .jpeg ? 16 : 0
        let sx = max(0, stored.x - m), sy = max(0, stored.y - m)
        let wide = PixelRect(x: sx, y: sy, width: min(w, stored.x + stored.width + m) - sx, height: min(h, stored.y + stored.height + m) - sy)
        let raster: Raster
        let integrity: Integrity
        if header.format == .jpeg {
            let decoded = try JPEGCodec.decode(source, scale: s, region: wide, maxPixels: maxPixels)
            raster = decoded.raster
            integrity = Integrity(decoded)
        } else {
            // A PNG shrinks by whole blocks from its corner: a block-aligned rectangle.
            let full = PixelRect(x: wide.x * s, y: wide.y * s, width: wide.width * s, height: wide.height * s)
            let decoded = try PNGCodec.decode(source, region: full, factor: s, maxPixels: maxPixels)
            raster = decoded.raster
            integrity = decoded.warning.map { .quirk($0) } ?? .intact
        }
        guard raster.width == wide.width, raster.height == wide.height else {
            throw CodecError(.corrupt, "the photo's data does not match its header (\(w0)×\(h0))")
        }
        let cut = raster.region(x: stored.x - sx, y: stored.y - sy, width: stored.width, height: stored.height,
                                fill: [UInt8](repeating: 0, count: raster.channels))
        return Decoded(raster: cut.oriented(header.orientation), scale: s, integrity: integrity, alphaUsed: false)
    }

    /// Refuses, before any pixel is allocated, a photo whose header's pixel count exceeds `maxPixels`.
    static func checkLimit(_ header: PhotoHeader, maxPixels: Int) throws(CodecError) {
        if let count = header.pixelCount, maxPixels > 0, count > maxPixels {
            throw CodecError(.tooLarge, "\(header.width ?? 0)×\(header.height ?? 0) = \(count) pixels")
        }
    }
}

extension PhotoDecoder.Integrity {
    /// What libjpeg's warnings during `decoded` mean for the data.
    init(_ decoded: JPEGCodec.Decoded) {
        let text = decoded.firstWarning ?? "corrupt data"
        if decoded.truncated {
            self = .truncated(text)
        } else if decoded.damaged {
            self = .damaged(text)
        } else if decoded.warningCount > 0 {
            self = .quirk(text)
        } else {
            self = .intact
        }
    }
}
