import CJPEG

/// libjpeg(-turbo) through the CJPEG shim: one C call per whole decode or encode.
public enum JPEGCodec {
    /// A decoded JPEG and what libjpeg had to say while decoding it.
    public struct Decoded: Sendable {
        /// Grey or RGB pixels at the requested scale (CMYK/YCCK already converted to RGB).
        public var raster: Raster
        /// 1, 2, 4 or 8: the DCT scale denominator used.
        public var scale: Int
        public var warningCount: Int
        /// Some image data was lost (corrupt entropy data, premature end).
        public var damaged: Bool
        /// The data ended early ("Premature end of JPEG file").
        public var truncated: Bool
        /// libjpeg's text for the first warning.
        public var firstWarning: String?
    }

    /// Decodes `bytes` at 1/`scale` (1, 2, 4 or 8), refusing more than `maxPixels` output pixels
    /// before allocating them, and more than `maxScans` progressive scans. With `region` (stored
    /// pixels at that scale, clamped to the image), only that rectangle is decoded: columns
    /// outside it skip the inverse DCT and decoding stops after its last row.
    public static func decode(
        _ bytes: [UInt8], scale: Int = 1, region: PixelRect? = nil, maxPixels: Int = 0, maxScans: Int = 1000
    ) throws(CodecError) -> Decoded {
        var result = pp_jpeg_decoded()
        let r = region ?? PixelRect(x: 0, y: 0, width: -1, height: -1)
        let code = bytes.withUnsafeBufferPointer { buffer in
            pp_jpeg_decode_region(buffer.baseAddress, buffer.count, Int32(scale), Int32(clamping: r.x), Int32(clamping: r.y),
                                  Int32(clamping: r.width), Int32(clamping: r.height), UInt64(max(0, maxPixels)),
                                  Int32(maxScans), &result)
        }
        defer { pp_jpeg_free(result.pixels) }
        let message = text(&result.message)
        switch Int(code) {
        case Int(PP_JPEG_OK): break
        case Int(PP_JPEG_TOO_LARGE): throw CodecError(.tooLarge, message)
        case Int(PP_JPEG_NO_MEMORY): throw CodecError(.outOfMemory, message)
        default:
            let unsupported = message.contains("Unsupported") || message.contains("not supported")
                || message.contains("Bogus") && message.contains("precision")
            throw CodecError(unsupported ? .unsupported : .corrupt, message)
        }
        let width = Int(result.width), height = Int(result.height), components = Int(result.components)
        let pixels = Array(UnsafeBufferPointer(start: result.pixels, count: Int(result.pixel_bytes)))
        let raster: Raster
        if components == 4 {
            raster = Raster.rgb(fromCMYK: pixels, width: width, height: height,
                                adobeInverted: result.saw_adobe_marker != 0)
        } else {
            raster = Raster(width: width, height: height, channels: components, pixels: pixels)
        }
        let warning = text(&result.first_warning)
        return Decoded(
            raster: raster, scale: scale, warningCount: Int(result.warning_count), damaged: result.damaged != 0,
            truncated: result.truncated != 0, firstWarning: warning.isEmpty ? nil : warning)
    }

    /// How to encode: defaults are those of a typical upload-ready photo.
    public struct EncodeOptions: Sendable {
        public var quality = 90
        public var progressive = false
        public var optimizeCoding = true
        public var chroma420 = true
        public var writeJFIF = true
        public var arithmetic = false
        /// The colour space stored in the file; nil lets libjpeg choose (YCbCr for RGB, grey for grey).
        public var fileColorSpace: FileColorSpace?
        public init() {}
    }

    public enum FileColorSpace: Sendable {
        case grayscale, rgb, ycbcr, cmyk, ycck
        var code: Int32 {
            switch self {
            case .grayscale: Int32(PP_CS_GRAYSCALE)
            case .rgb: Int32(PP_CS_RGB)
            case .ycbcr: Int32(PP_CS_YCBCR)
            case .cmyk: Int32(PP_CS_CMYK)
            case .ycck: Int32(PP_CS_YCCK)
            }
        }
    }

    /// Encodes 1 (grey), 3 (RGB) or 4 (CMYK, as the file should store it) channels.
    /// The output holds no metadata other than the JFIF or Adobe marker.
    public static func encode(_ raster: Raster, options: EncodeOptions = EncodeOptions()) throws(CodecError) -> [UInt8] {
        guard [1, 3, 4].contains(raster.channels) else {
            throw CodecError(.unsupported, "JPEG cannot hold \(raster.channels) channels")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 200)
        let code = raster.pixels.withUnsafeBufferPointer { buffer in
            message.withUnsafeMutableBufferPointer { text in
                pp_jpeg_encode(buffer.baseAddress, Int32(raster.width), Int32(raster.height), Int32(raster.channels),
                               options.fileColorSpace?.code ?? Int32(PP_CS_UNKNOWN), Int32(options.quality),
                               options.progressive ? 1 : 0, options.optimizeCoding ? 1 : 0, options.chroma420 ? 1 : 0,
                               options.writeJFIF ? 1 : 0, options.arithmetic ? 1 : 0, &out, &size, text.baseAddress)
            }
        }
        defer { pp_jpeg_free(out) }
        guard code == PP_JPEG_OK, let out else {
            throw CodecError(.corrupt, "libjpeg could not encode: " + cString(message))
        }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}

/// The text of a fixed-size C char array inside an imported struct.
func text<T>(_ tuple: inout T) -> String {
    withUnsafeBytes(of: &tuple) { raw in
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The text of a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
