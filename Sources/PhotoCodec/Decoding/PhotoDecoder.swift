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
        if let count = header.pixelCount, maxPixels > 0, count > maxPixels {
            throw CodecError(.tooLarge, "\(header.width ?? 0)×\(header.height ?? 0) = \(count) pixels")
        }
        switch header.format {
        case .jpeg:
            let longSide = max(header.width ?? 0, header.height ?? 0)
            let scale = scale(forLongSide: longSide, minimumLongSide: minimumLongSide)
            let decoded = try JPEGCodec.decode(bytes, scale: scale, maxPixels: maxPixels)
            let integrity: Integrity
            let text = decoded.firstWarning ?? "corrupt data"
            if decoded.truncated {
                integrity = .truncated(text)
            } else if decoded.damaged {
                integrity = .damaged(text)
            } else if decoded.warningCount > 0 {
                integrity = .quirk(text)
            } else {
                integrity = .intact
            }
            return Decoded(raster: decoded.raster.oriented(header.orientation), scale: scale, integrity: integrity,
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
}
