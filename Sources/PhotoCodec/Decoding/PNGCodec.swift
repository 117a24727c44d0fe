import CPNG

/// libpng through the CPNG shim: the simplified png_image API to decode, the full API to encode.
public enum PNGCodec {
    public struct Decoded: Sendable {
        /// Grey, RGB or RGBA 8-bit pixels (16-bit input is reduced, palettes expanded).
        public var raster: Raster
        /// libpng's warning text, if it warned.
        public var warning: String?
    }

    public static func decode(_ bytes: [UInt8], maxPixels: Int = 0) throws(CodecError) -> Decoded {
        var result = pp_png_decoded()
        let code = bytes.withUnsafeBufferPointer { buffer in
            pp_png_decode(buffer.baseAddress, buffer.count, UInt64(max(0, maxPixels)), &result)
        }
        defer { pp_png_free(result.pixels) }
        let message = text(&result.message)
        switch Int(code) {
        case Int(PP_PNG_OK): break
        case Int(PP_PNG_TOO_LARGE): throw CodecError(.tooLarge, message)
        case Int(PP_PNG_NO_MEMORY): throw CodecError(.outOfMemory, message)
        default:
            // libpng's words for data that stops early (the simplified API has no error codes).
            let ends = ["beyond end of data", "Not enough image data", "unexpected end", "Read Error"]
            let kind: CodecError.Kind = ends.contains { message.contains($0) } ? .truncated : .corrupt
            throw CodecError(kind, message.isEmpty ? "libpng could not read the data" : message)
        }
        let pixels = Array(UnsafeBufferPointer(start: result.pixels, count: Int(result.pixel_bytes)))
        let raster = Raster(width: Int(result.width), height: Int(result.height), channels: Int(result.channels),
                            pixels: pixels)
        return Decoded(raster: raster, warning: result.had_warning != 0 ? message : nil)
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
