/// How a file stores colour, as its header declares it.
public enum ColorModel: String, Sendable, Codable {
    case gray, grayAlpha = "gray_alpha", rgb, rgba, palette, ycbcr, cmyk, ycck
}

/// What the first bytes of a file say, read without decoding pixels.
///
/// `width` and `height` are the stored size; `displayWidth`/`displayHeight` apply the EXIF
/// orientation, and are what every rule sees.
public struct PhotoHeader: Sendable, Equatable {
    public static func == (a: PhotoHeader, b: PhotoHeader) -> Bool {
        a.format == b.format && a.byteCount == b.byteCount && a.width == b.width && a.height == b.height
            && a.orientation == b.orientation && a.invalidOrientationValue == b.invalidOrientationValue && a.bitDepth == b.bitDepth
            && a.colorModel == b.colorModel && a.progressive == b.progressive && a.interlaced == b.interlaced
            && a.jpegFrameMarker == b.jpegFrameMarker && a.jpegMCU?.width == b.jpegMCU?.width && a.jpegMCU?.height == b.jpegMCU?.height
            && a.isAnimated == b.isAnimated && a.frameCount == b.frameCount && a.hasAlpha == b.hasAlpha && a.hasExif == b.hasExif
            && a.hasGPS == b.hasGPS && a.hasCameraSerial == b.hasCameraSerial && a.hasICC == b.hasICC && a.hasXMP == b.hasXMP
            && a.hasComment == b.hasComment && a.adobeTransform == b.adobeTransform && a.problem == b.problem
    }

    public var format: ImageFormat
    public var byteCount: Int
    public var width: Int?
    public var height: Int?
    public var orientation: Orientation = .up
    /// The raw EXIF orientation value when it is outside 1–8 (it is then treated as 1).
    public var invalidOrientationValue: Int?
    /// Bits per sample (JPEG precision 8/12/16; PNG 1/2/4/8/16).
    public var bitDepth: Int?
    public var colorModel: ColorModel?
    /// JPEG: progressive (SOF2/6/10/14). PNG: never (see `interlaced`).
    public var progressive = false
    /// PNG Adam7 interlacing.
    public var interlaced = false
    /// The JPEG start-of-frame marker (0xC0 baseline … 0xCF), telling coding process and entropy coder.
    public var jpegFrameMarker: UInt8?
    /// JPEG: the MCU's width and height in pixels (8 × the largest sampling factors): a lossless
    /// turn or flip needs whole MCUs along every mirrored edge.
    public var jpegMCU: (width: Int, height: Int)?
    public var isAnimated = false
    public var frameCount: Int?
    public var hasAlpha = false
    public var hasExif = false
    public var hasGPS = false
    public var hasCameraSerial = false
    public var hasICC = false
    public var hasXMP = false
    public var hasComment = false
    /// Adobe APP14 colour transform (0 none/CMYK/RGB, 1 YCbCr, 2 YCCK), when the marker is present.
    public var adobeTransform: Int?
    /// A structural problem that stops the header being read (truncated, malformed); nil when fine.
    public var problem: String?

    public init(format: ImageFormat, byteCount: Int) {
        self.format = format
        self.byteCount = byteCount
    }

    public var displayWidth: Int? { orientation.swapsDimensions ? height : width }
    public var displayHeight: Int? { orientation.swapsDimensions ? width : height }

    /// Stored pixel count, when the size is known.
    public var pixelCount: Int? {
        guard let width, let height else { return nil }
        return width.multipliedReportingOverflow(by: height).overflow ? Int.max : width * height
    }

    /// JPEG arithmetic coding (SOF9–SOF15).
    public var isArithmeticCoded: Bool { (jpegFrameMarker ?? 0) >= 0xC9 }
    /// Whether the JPEG's coefficients can be turned upright losslessly (whole MCUs along every
    /// edge the turn mirrors; as `jpegtran -perfect` decides).
    public var losslessTurnPossible: Bool {
        guard format == .jpeg, let mcu = jpegMCU, let w = width, let h = height else { return false }
        switch orientation.rawValue {
        case 1, 5: return true
        case 2: return w % mcu.width == 0
        case 4: return h % mcu.height == 0
        case 3, 7: return w % mcu.width == 0 && h % mcu.height == 0
        case 6: return h % mcu.height == 0
        case 8: return w % mcu.width == 0
        default: return false
        }
    }

    /// JPEG lossless process (SOF3, 7, 11, 15).
    public var isLosslessJPEG: Bool { [0xC3, 0xC7, 0xCB, 0xCF].contains(jpegFrameMarker ?? 0) }
}
