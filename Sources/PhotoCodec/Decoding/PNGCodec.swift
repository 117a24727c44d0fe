import CPNG

/// libpng through the CPNG shim: the simplified png_image API to decode, the full API to encode.
public enum PNGCodec {
    public struct Decoded: Sendable {
        /// Grey, RGB or RGBA 8-bit pixels (16-bit input is reduced, palettes expanded).
        public var raster: Raster
        /// libpng's warning text, if it warned.
        public var warning: String?
        /// Some pixel of the image is not fully opaque (judged on every decoded row at full size).
        public var alphaUsed: Bool
    }

    /// What the header says: size, output channels (1 grey, 3 RGB, 4 RGBA) and interlacing.
    public struct Info: Sendable {
        public var width: Int
        public var height: Int
        public var channels: Int
        public var interlaced: Bool
    }

    /// Reads the PNG's header chunks (up to the first image data) without decoding a row.
    public static func inspect(_ source: EncodedSource) throws(CodecError) -> Info {
        var result = pp_png_result()
        let code = source.withPNGInput { input in pp_png_inspect(&input, &result) }
        guard code == PP_PNG_OK else { throw error(code, text(&result.message)) }
        return Info(width: Int(result.width), height: Int(result.height), channels: Int(result.channels),
                    interlaced: result.interlaced != 0)
    }

    /// Decodes a whole PNG held in memory.
    public static func decode(_ bytes: [UInt8], maxPixels: Int = 0) throws(CodecError) -> Decoded {
        try decode(.memory(bytes), maxPixels: maxPixels)
    }

    /// The size `decode` produces for `region` (clamped to the image, nil = all) shrunk by `factor`.
    public static func outputSize(of info: Info, region: PixelRect?, factor: Int) -> PixelRect? {
        var rect = PixelRect(x: 0, y: 0, width: info.width, height: info.height)
        if let r = region {
            let x0 = max(0, r.x), y0 = max(0, r.y)
            let x1 = min(info.width, r.x + r.width), y1 = min(info.height, r.y + r.height)
            guard x1 > x0, y1 > y0 else { return nil }
            rect = PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
        }
        let f = max(1, factor)
        return PixelRect(x: rect.x, y: rect.y, width: (rect.width + f - 1) / f, height: (rect.height + f - 1) / f)
    }

    /// Decodes the rectangle `region` of the PNG in `source` (clamped; nil = all), shrunk by the
    /// whole `factor` (each output pixel the rounded mean of a factor × factor block), row by row:
    /// at most a row of the image is held at a time, so the memory is the output's. Pixels are
    /// those of libpng's simplified API (tested pixel for pixel against it). Refuses more than
    /// `maxPixels` image pixels before decoding. `Decoded.alphaUsed` is judged at full resolution.
    public static func decode(
        _ source: EncodedSource, region: PixelRect? = nil, factor: Int = 1, maxPixels: Int = 0
    ) throws(CodecError) -> Decoded {
        let info = try inspect(source)
        if maxPixels > 0, info.width.multipliedReportingOverflow(by: info.height).partialValue > maxPixels {
            throw CodecError(.tooLarge, "\(info.width) x \(info.height) pixels")
        }
        guard let size = outputSize(of: info, region: region, factor: factor) else {
            throw CodecError(.corrupt, "the region lies outside the \(info.width)×\(info.height) image")
        }
        let r = region ?? PixelRect(x: 0, y: 0, width: -1, height: -1)
        let capacity = size.width * size.height * info.channels
        var result = pp_png_result()
        var code: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: max(1, capacity)) { buffer, initialized in
            code = source.withPNGInput { input in
                pp_png_decode_into(&input, Int32(clamping: r.x), Int32(clamping: r.y), Int32(clamping: r.width),
                                   Int32(clamping: r.height), Int32(max(1, factor)), UInt64(max(0, maxPixels)),
                                   buffer.baseAddress, capacity, &result)
            }
            initialized = code == PP_PNG_OK ? capacity : 0
        }
        let message = text(&result.message)
        guard code == PP_PNG_OK else { throw error(code, message) }
        guard Int(result.channels) == info.channels else { throw CodecError(.corrupt, "the PNG's data does not match its header") }
        let raster = Raster(width: size.width, height: size.height, channels: info.channels, pixels: pixels)
        return Decoded(raster: raster, warning: result.had_warning != 0 ? message : nil, alphaUsed: result.alpha_used != 0)
    }

    static func error(_ code: Int32, _ message: String) -> CodecError {
        switch Int(code) {
        case Int(PP_PNG_TOO_LARGE): return CodecError(.tooLarge, message)
        case Int(PP_PNG_NO_MEMORY): return CodecError(.outOfMemory, message)
        default:
            // libpng's words for data that stops early (it has no error codes).
            let ends = ["beyond end of data", "Not enough image data", "unexpected end", "Read Error"]
            let kind: CodecError.Kind = ends.contains { message.contains($0) } ? .truncated : .corrupt
            return CodecError(kind, message.isEmpty ? "libpng could not read the data" : message)
        }
    }

    /// The whole PNG through libpng's simplified png_image API: the reference the streaming
    /// decoder is tested against.
    static func referenceDecode(_ bytes: [UInt8], maxPixels: Int = 0) throws(CodecError) -> Decoded {
        var result = pp_png_decoded()
        let code = bytes.withUnsafeBufferPointer { buffer in
            pp_png_decode(buffer.baseAddress, buffer.count, UInt64(max(0, maxPixels)), &result)
        }
        defer { pp_png_free(result.pixels) }
        let message = text(&result.message)
        guard code == PP_PNG_OK else { throw error(code, message) }
        let pixels = Array(UnsafeBufferPointer(start: result.pixels, count: Int(result.pixel_bytes)))
        let raster = Raster(width: Int(result.width), height: Int(result.height), channels: Int(result.channels),
                            pixels: pixels)
        return Decoded(raster: raster, warning: result.had_warning != 0 ? message : nil, alphaUsed: raster.usesAlpha)
    }

    /// PNG colour types (the IHDR values).
    public enum ColorType: Int32, Sendable {
        case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6
        var channels: Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][Int(rawValue)]! }
    }

    /// Raw samples for `encode(samples:)`: the PNG's own layout.
    public struct Samples: Sendable {
        public var width: Int
        public var height: Int
        public var bitDepth: Int
        public var colorType: ColorType
        /// Rows of packed samples (big-endian for 16-bit); with `repeatFirstRow` only one row.
        public var data: [UInt8]
        public var repeatFirstRow = false
        public var palette: [UInt8] = []
        public var transparency: [UInt8] = []
        public var interlaced = false

        public init(width: Int, height: Int, bitDepth: Int, colorType: ColorType, data: [UInt8]) {
            self.width = width
            self.height = height
            self.bitDepth = bitDepth
            self.colorType = colorType
            self.data = data
        }

        public var rowBytes: Int { (width * colorType.channels * bitDepth + 7) / 8 }
    }

    /// Encodes 8-bit grey, RGB or RGBA pixels.
    public static func encode(_ raster: Raster, interlaced: Bool = false, compressionLevel: Int = 6) throws(CodecError) -> [UInt8] {
        let type: ColorType = raster.channels == 1 ? .gray : raster.channels == 3 ? .rgb : .rgba
        guard raster.channels != 2 else { throw CodecError(.unsupported, "2-channel rasters are not encoded") }
        var samples = Samples(width: raster.width, height: raster.height, bitDepth: 8, colorType: type, data: raster.pixels)
        samples.interlaced = interlaced
        return try encode(samples: samples, compressionLevel: compressionLevel)
    }

    /// Encodes raw samples (any PNG bit depth, colour type, palette, tRNS, interlacing).
    public static func encode(samples: Samples, compressionLevel: Int = 6) throws(CodecError) -> [UInt8] {
        let needed = samples.repeatFirstRow ? samples.rowBytes : samples.rowBytes * samples.height
        guard samples.data.count >= needed else {
            throw CodecError(.corrupt, "sample data holds \(samples.data.count) bytes, \(needed) needed")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 200)
        let code = samples.data.withUnsafeBufferPointer { data in
            samples.palette.withUnsafeBufferPointer { palette in
                samples.transparency.withUnsafeBufferPointer { trns in
                    message.withUnsafeMutableBufferPointer { text in
                        pp_png_encode(data.baseAddress, samples.rowBytes, samples.repeatFirstRow ? 1 : 0,
                                      Int32(samples.width), Int32(samples.height), Int32(samples.bitDepth),
                                      Int32(samples.colorType.rawValue), samples.interlaced ? 1 : 0,
                                      palette.baseAddress, Int32(samples.palette.count / 3), trns.baseAddress,
                                      Int32(samples.transparency.count), Int32(compressionLevel), &out, &size,
                                      text.baseAddress)
                    }
                }
            }
        }
        defer { pp_png_free(out) }
        guard code == PP_PNG_OK, let out else {
            throw CodecError(.corrupt, "libpng could not encode: " + cString(message))
        }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}

extension EncodedSource {
    func withPNGInput<R>(_ body: (inout pp_png_input) -> R) -> R {
        withRaw { data, count, fd in
            var input = pp_png_input(data: data, size: count, fd: fd)
            return body(&input)
        }
    }
}
