/// Decodes a probed JPEG or PNG for analysis: at the smallest JPEG DCT scale that keeps the long
/// side at or above what the rules need, with the pixel limit checked from the header first, and
/// with the EXIF orientation applied so every coordinate is in the displayed frame.
public enum PhotoDecoder {
    public struct Decoded: Sendable {
        /// Upright pixels (orientation applied), at 1/`scale` of the displayed size.
        public var raster: Raster
        /// The JPEG DCT scale denominator (1 for PNG).
        public var scale: Int
        /// Data problems the decoder survived: lost data (error) or stray bytes (warning).
        public var integrity: Integrity
        /// Some pixel is not fully opaque (only PNG carries alpha).
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

    /// The DCT scale denominator (1, 2, 4, 8) that keeps `longSide / scale >= minimumLongSide`.
    public static func scale(forLongSide longSide: Int, minimumLongSide: Int) -> Int {
        var scale = 8
        while scale > 1 && (longSide + scale - 1) / scale < minimumLongSide { scale /= 2 }
        return scale
    }

    /// Decodes `bytes` whose header is `header`. `minimumLongSide` is the analysis size the rules
    /// need (1 = as small as possible: integrity only). Throws `.tooLarge` before decoding when the
    /// header's pixel count exceeds `maxPixels`.
    public static func decode(
        _ bytes: [UInt8], header: PhotoHeader, minimumLongSide: Int, maxPixels: Int
    ) throws(CodecError) -> Decoded {
        try checkLimit(header, maxPixels: maxPixels)
        switch header.format {
        case .jpeg:
            let longSide = max(header.width ?? 0, header.height ?? 0)
            let scale = scale(forLongSide: longSide, minimumLongSide: minimumLongSide)
            let decoded = try JPEGCodec.decode(bytes, scale: scale, maxPixels: maxPixels)
            return Decoded(raster: decoded.raster.oriented(header.orientation), scale: scale, integrity: Integrity(decoded),
                           alphaUsed: false)
        case .png:
            let decoded = try PNGCodec.decode(bytes, maxPixels: maxPixels)
            let integrity: Integrity = decoded.warning.map { .quirk($0) } ?? .intact
            return Decoded(raster: decoded.raster.oriented(header.orientation), scale: 1, integrity: integrity,
                           alphaUsed: decoded.raster.usesAlpha)
        default:
            throw CodecError(.unsupported, "\(header.format.displayName) files are not decoded")
        }
    }

    /// Decodes only the displayed rectangle `rect` (clamped to the photo) at full size, upright:
    /// the same pixels as that rectangle of a whole decode. For a JPEG only the stored pixels
    /// under it (and a small margin) are decoded — libjpeg skips the inverse DCT for other
    /// columns and stops after its last row — and only they are turned upright; a PNG is decoded
    /// whole and cut.
    public static func decode(
        _ bytes: [UInt8], header: PhotoHeader, region rect: PixelRect, maxPixels: Int
    ) throws(CodecError) -> Decoded {
        guard header.format == .jpeg, let w = header.width, let h = header.height,
              let dw = header.displayWidth, let dh = header.displayHeight else {
            var whole = try decode(bytes, header: header, minimumLongSide: .max, maxPixels: maxPixels)
            whole.raster = whole.raster.region(x: rect.x, y: rect.y, width: rect.width, height: rect.height,
                                               fill: [UInt8](repeating: 0, count: whole.raster.channels))
            return whole
        }
        try checkLimit(header, maxPixels: maxPixels)
        let x0 = max(0, rect.x), y0 = max(0, rect.y)
        let x1 = min(dw, rect.x + rect.width), y1 = min(dh, rect.y + rect.height)
        guard x1 > x0, y1 > y0 else { throw CodecError(.corrupt, "the region \(rect) lies outside the \(dw)×\(dh) photo") }
        let stored = header.orientation.storedRect(of: PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0), width: w, height: h)
        // A margin around the rectangle gives chroma upsampling the same neighbours as in a whole
        // decode, so the pixels are identical to the same rectangle of one.
        let m = 16
        let sx = max(0, stored.x - m), sy = max(0, stored.y - m)
        let wide = PixelRect(x: sx, y: sy, width: min(w, stored.x + stored.width + m) - sx, height: min(h, stored.y + stored.height + m) - sy)
        let decoded = try JPEGCodec.decode(bytes, scale: 1, region: wide, maxPixels: maxPixels)
        guard decoded.raster.width == wide.width, decoded.raster.height == wide.height else {
            throw CodecError(.corrupt, "the photo's data does not match its header (\(w)×\(h))")
        }
        let cut = decoded.raster.region(x: stored.x - sx, y: stored.y - sy, width: stored.width, height: stored.height,
                                        fill: [UInt8](repeating: 0, count: decoded.raster.channels))
        return Decoded(raster: cut.oriented(header.orientation), scale: 1, integrity: Integrity(decoded), alphaUsed: false)
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
