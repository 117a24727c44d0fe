/// 8-bit pixels, rows top to bottom, no padding: 1 (grey), 3 (RGB) or 4 (RGBA) channels, sRGB-encoded.
public struct Raster: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "pixel buffer does not match the size")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A raster filled with one value per channel.
    public init(width: Int, height: Int, fill: [UInt8]) {
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * height * fill.count)
        for _ in 0..<(width * height) { pixels.append(contentsOf: fill) }
        self.init(width: width, height: height, channels: fill.count, pixels: pixels)
    }

    /// The channel values of the pixel at (x, y).
    public subscript(x: Int, y: Int) -> ArraySlice<UInt8> {
        let i = (y * width + x) * channels
        return pixels[i..<i + channels]
    }

    /// The pixels transformed as EXIF `orientation` says, so that they display upright.
    public func oriented(_ orientation: Orientation) -> Raster {
        if orientation == .up { return self }
        let w = width, h = height, c = channels
        let (nw, nh) = orientation.swapsDimensions ? (h, w) : (w, h)
        // Displayed pixel (x, y) is stored pixel base + x·dx + y·dy (in pixels).
        let (base, dx, dy): (Int, Int, Int)
        switch orientation {
        case .up: (base, dx, dy) = (0, 1, w)
        case .upMirrored: (base, dx, dy) = (w - 1, -1, w)
        case .down: (base, dx, dy) = ((h - 1) * w + w - 1, -1, -w)
        case .downMirrored: (base, dx, dy) = ((h - 1) * w, 1, -w)
        case .leftMirrored: (base, dx, dy) = (0, w, 1)
        case .right: (base, dx, dy) = ((h - 1) * w, -w, 1)
        case .rightMirrored: (base, dx, dy) = ((h - 1) * w + w - 1, -w, -1)
        case .left: (base, dx, dy) = (w - 1, w, -1)
        }
        let out = [UInt8](unsafeUninitializedCapacity: pixels.count) { dst, count in
            pixels.withUnsafeBufferPointer { srcBuffer in
                let src = srcBuffer.baseAddress!, d = dst.baseAddress!
                for y in 0..<nh {
                    var s = (base + y * dy) * c
                    var o = y * nw * c
                    let step = dx * c
                    switch c {
                    case 3:
                        for _ in 0..<nw {
                            d[o] = src[s]; d[o + 1] = src[s + 1]; d[o + 2] = src[s + 2]
                            s += step; o += 3
                        }
                    case 1:
                        for _ in 0..<nw { d[o] = src[s]; s += step; o += 1 }
                    default:
                        for _ in 0..<nw {
                            for k in 0..<c { d[o + k] = src[s + k] }
                            s += step; o += c
                        }
                    }
                }
            }
            count = pixels.count
        }
        return Raster(width: nw, height: nh, channels: c, pixels: out)
    }

    /// True when some pixel is not fully opaque (always false without an alpha channel).
    public var usesAlpha: Bool {
        guard channels == 4 else { return false }
        var i = 3
        while i < pixels.count {
            if pixels[i] != 255 { return true }
            i += 4
        }
        return false
    }

    /// Converts 4-channel CMYK as a JPEG stores it to RGB. Adobe (Photoshop) writes CMYK
    /// inverted (0 = full ink) and marks the file with APP14; without that marker, values are plain.
    public static func rgb(fromCMYK cmyk: [UInt8], width: Int, height: Int, adobeInverted: Bool) -> Raster {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        cmyk.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<(width * height) {
                    var c = Int(src[4 * p]), m = Int(src[4 * p + 1]), y = Int(src[4 * p + 2]), k = Int(src[4 * p + 3])
                    if !adobeInverted { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k }
                    // Now each value is "255 - ink"; RGB = (1 - ink) × (1 - K), rounded.
                    dst[3 * p] = UInt8((c * k + 127) / 255)
                    dst[3 * p + 1] = UInt8((m * k + 127) / 255)
                    dst[3 * p + 2] = UInt8((y * k + 127) / 255)
                }
            }
        }
        return Raster(width: width, height: height, channels: 3, pixels: out)
    }
}

/// A rectangle of whole pixels.
public struct PixelRect: Sendable, Equatable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
    public var description: String { "\(width)×\(height) at (\(x), \(y))" }
}
