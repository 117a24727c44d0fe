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

    /// What the headers say about a decode at some scale, before any pixel is decoded.
    public struct Info: Sendable {
        public var width: Int
        public var height: Int
        /// Output components: 1 (grey), 3 (RGB) or 4 (CMYK, converted to RGB after decoding).
        public var components: Int
        /// Progressive or multi-scan: libjpeg keeps every coefficient of the image while decoding.
        public var multipleScans: Bool
        /// libjpeg's own memory for the decode, in bytes (coefficients and rows; not the output).
        public var workingBytes: Int
    }

    /// Reads the headers of the JPEG in `source` and says what a decode at 1/`scale` would
    /// produce and need.
    public static func inspect(_ source: EncodedSource, scale: Int = 1) throws(CodecError) -> Info {
        var info = pp_jpeg_info()
        let code = source.withInput(chunk: 0) { input in pp_jpeg_inspect(&input, Int32(scale), &info) }
        guard code == PP_JPEG_OK else { throw error(code, text(&info.message)) }
        return Info(width: Int(info.width), height: Int(info.height), components: Int(info.components),
                    multipleScans: info.multiple_scans != 0, workingBytes: Int(clamping: info.working_bytes))
    }

    /// Decodes `bytes` at 1/`scale` (1, 2, 4 or 8); see `decode(_:scale:region:…)` for the rest.
    public static func decode(
        _ bytes: [UInt8], scale: Int = 1, region: PixelRect? = nil, maxPixels: Int = 0, maxScans: Int = 1000
    ) throws(CodecError) -> Decoded {
        try decode(.memory(bytes), scale: scale, region: region, maxPixels: maxPixels, maxScans: maxScans)
    }

    /// Decodes the JPEG in `source` at 1/`scale` (1, 2, 4 or 8), refusing more than `maxPixels`
    /// output pixels before allocating them, more than `maxScans` progressive scans, and (when
    /// `maxWorkingBytes` > 0) a decode whose libjpeg working memory would exceed it. With `region`
    /// (stored pixels at that scale, clamped to the image), only that rectangle is decoded:
    /// columns outside it skip the inverse DCT and decoding stops after its last row.
    ///
    /// `strictHuffman` feeds libjpeg the data in pieces too small for libjpeg-turbo's fast
    /// Huffman decoder, which turns a bad Huffman code into 0 silently; the slow decoder warns,
    /// so corrupt data is reported. It costs some decoding speed (see scripts/bench.sh).
    /// The pixels land in one buffer allocated here and filled by libjpeg: no copy is made.
    public static func decode(
        _ source: EncodedSource, scale: Int = 1, region: PixelRect? = nil, maxPixels: Int = 0, maxScans: Int = 1000,
        maxWorkingBytes: Int = 0, strictHuffman: Bool = false
    ) throws(CodecError) -> Decoded {
        let info = try inspect(source, scale: scale)
        if maxPixels > 0, info.width.multipliedReportingOverflow(by: info.height).partialValue > maxPixels {
            throw CodecError(.tooLarge, "\(info.width) x \(info.height) pixels exceeds the limit of \(maxPixels) pixels")
        }
        // The rectangle, clamped to the image (the C side clamps the same way).
        var rect = PixelRect(x: 0, y: 0, width: info.width, height: info.height)
        if let r = region, r.width >= 0, r.height >= 0 {
            let x0 = max(0, r.x), y0 = max(0, r.y)
            let x1 = min(info.width, r.x + r.width), y1 = min(info.height, r.y + r.height)
            guard x1 > x0, y1 > y0 else {
                throw CodecError(.corrupt, "the region lies outside the \(info.width) x \(info.height) image")
            }
            rect = PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
        }
        let capacity = rect.width * rect.height * info.components
        var result = pp_jpeg_result()
        var code: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: max(1, capacity)) { buffer, initialized in
            code = source.withInput(chunk: strictHuffman ? 511 : 0) { input in
                pp_jpeg_decode_into(&input, Int32(scale), Int32(rect.x), Int32(rect.y), Int32(rect.width), Int32(rect.height),
                                    UInt64(max(0, maxPixels)), Int32(maxScans), UInt64(max(0, maxWorkingBytes)),
                                    buffer.baseAddress, capacity, &result)
            }
            // On success every byte was written; on failure the array is dropped below. A
            // truncated file still fills every row (libjpeg pads it).
            initialized = code == PP_JPEG_OK ? capacity : 0
        }
        guard code == PP_JPEG_OK else { throw error(code, text(&result.message)) }
        guard Int(result.width) == rect.width, Int(result.height) == rect.height, Int(result.components) == info.components else {
            throw CodecError(.corrupt, "the JPEG's data does not match its headers")
        }
        let raster: Raster
        if info.components == 4 {
            raster = Raster.rgb(fromCMYK: pixels, width: rect.width, height: rect.height,
                                adobeInverted: result.saw_adobe_marker != 0)
        } else {
            raster = Raster(width: rect.width, height: rect.height, channels: info.components, pixels: pixels)
        }
        let warning = text(&result.first_warning)
        return Decoded(
            raster: raster, scale: scale, warningCount: Int(result.warning_count), damaged: result.damaged != 0,
            truncated: result.truncated != 0, firstWarning: warning.isEmpty ? nil : warning)
    }

    static func error(_ code: Int32, _ message: String) -> CodecError {
        switch Int(code) {
        case Int(PP_JPEG_TOO_LARGE): return CodecError(.tooLarge, message)
        case Int(PP_JPEG_OVER_MEMORY): return CodecError(.overMemoryLimit, message)
        case Int(PP_JPEG_NO_MEMORY): return CodecError(.outOfMemory, message)
        default:
            let unsupported = message.contains("Unsupported") || message.contains("not supported")
                || message.contains("Bogus") && message.contains("precision")
            return CodecError(unsupported ? .unsupported : .corrupt, message)
        }
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

extension EncodedSource {
    /// The C description of the source; `chunk` > 0 hands libjpeg at most that many bytes at a time.
    func withInput<R>(chunk: Int, _ body: (inout pp_jpeg_input) -> R) -> R {
        withRaw { data, count, fd in
            var input = pp_jpeg_input(data: data, size: count, fd: fd, chunk: chunk)
            return body(&input)
        }
    }
}
