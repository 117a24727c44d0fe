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
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<nh {
                    for x in 0..<nw {
                        // (sx, sy): the stored pixel that is displayed at (x, y).
                        let (sx, sy): (Int, Int)
                        switch orientation {
                        case .up: (sx, sy) = (x, y)
                        case .upMirrored: (sx, sy) = (w - 1 - x, y)
                        case .down: (sx, sy) = (w - 1 - x, h - 1 - y)
                        case .downMirrored: (sx, sy) = (x, h - 1 - y)
                        case .leftMirrored: (sx, sy) = (y, x)
                        case .right: (sx, sy) = (y, h - 1 - x)
                        case .rightMirrored: (sx, sy) = (w - 1 - y, h - 1 - x)
                        case .left: (sx, sy) = (w - 1 - y, x)
                        }
                        let s = (sy * w + sx) * c
                        let d = (y * nw + x) * c
                        for k in 0..<c { dst[d + k] = src[s + k] }
                    }
                }
            }
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
