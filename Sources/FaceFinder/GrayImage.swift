/// An 8-bit single-channel image, rows top to bottom, no padding.
public struct GrayImage: Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "pixel buffer does not match the size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Luma (BT.601, as OpenCV's RGB2GRAY) from interleaved 8-bit pixels with 1, 3 or 4 channels.
    public init(width: Int, height: Int, channels: Int, interleaved: [UInt8]) {
        precondition(interleaved.count == width * height * channels)
        if channels == 1 {
            self.init(width: width, height: height, pixels: interleaved)
            return
        }
        var out = [UInt8](repeating: 0, count: width * height)
        interleaved.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<(width * height) {
                    let p = i * channels
                    // 0.299 R + 0.587 G + 0.114 B in 14-bit fixed point, rounded.
                    let v = 4899 * Int(src[p]) + 9617 * Int(src[p + 1]) + 1868 * Int(src[p + 2])
                    dst[i] = UInt8((v + 8192) >> 14)
                }
            }
        }
        self.init(width: width, height: height, pixels: out)
    }

    public subscript(x: Int, y: Int) -> UInt8 { pixels[y * width + x] }

    /// Bilinear resampling with pixel centres aligned (OpenCV's INTER_LINEAR mapping). When
    /// shrinking by more than 2×, each output pixel averages a box first, so detail does not alias.
    public func resized(width nw: Int, height nh: Int) -> GrayImage {
        precondition(nw > 0 && nh > 0)
        if nw == width && nh == height { return self }
        if nw * 2 < width && nh * 2 < height { return boxShrunk(width: nw, height: nh) }
        let sx = Double(width) / Double(nw), sy = Double(height) / Double(nh)
        // Precomputed column taps: index and 11-bit weight of the right neighbour.
        var x0 = [Int32](repeating: 0, count: nw), wx = [Int32](repeating: 0, count: nw)
        for x in 0..<nw {
            let f = max(0, (Double(x) + 0.5) * sx - 0.5)
            let i = min(Int(f), width - 1)
            x0[x] = Int32(i)
            wx[x] = i + 1 < width ? Int32(((f - Double(i)) * 2048).rounded()) : 0
        }
        let w = width
        // Each output row: the two source rows blended (a contiguous, vectorisable pass), then
        // the columns. Integer arithmetic throughout, so the result is exactly the one-pass
        // bilinear blend of the four neighbours.
        var blended = [Int32](repeating: 0, count: w + 1)
        let out = [UInt8](unsafeUninitializedCapacity: nw * nh) { dst, initialized in
            pixels.withUnsafeBufferPointer { src in
                blended.withUnsafeMutableBufferPointer { rowBuffer in
                    x0.withUnsafeBufferPointer { X0 in
                        wx.withUnsafeBufferPointer { WX in
                            let row = rowBuffer.baseAddress!
                            for y in 0..<nh {
                                let f = max(0, (Double(y) + 0.5) * sy - 0.5)
                                let r0 = min(Int(f), height - 1)
                                let r1 = min(r0 + 1, height - 1)
                                let wy = Int32(((f - Double(r0)) * 2048).rounded())
                                let a = src.baseAddress! + r0 * w, b = src.baseAddress! + r1 * w
                                for x in 0..<w { row[x] = Int32(a[x]) &* (2048 &- wy) &+ Int32(b[x]) &* wy }
                                row[w] = row[w - 1]
                                let d = dst.baseAddress! + y * nw
                                for x in 0..<nw {
                                    let i = Int(X0[x]), t = Int(WX[x])
                                    let v = Int(row[i]) * (2048 - t) + Int(row[i + 1]) * t
                                    d[x] = UInt8(truncatingIfNeeded: (v + (1 << 21)) >> 22)
                                }
                            }
                        }
                    }
                }
            }
            initialized = nw * nh
        }
        return GrayImage(width: nw, height: nh, pixels: out)
    }

    /// Half the size (rounded down), each pixel the rounded mean of a 2×2 block.
    public func halved() -> GrayImage {
        let nw = max(1, width / 2), nh = max(1, height / 2)
        guard width >= 2, height >= 2 else { return self }
        var out = [UInt8](repeating: 0, count: nw * nh)
        let w = width
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<nh {
                    let r0 = 2 * y * w, r1 = r0 + w, o = y * nw
                    for x in 0..<nw {
                        let a = Int(src[r0 + 2 * x]) + Int(src[r0 + 2 * x + 1]) + Int(src[r1 + 2 * x]) + Int(src[r1 + 2 * x + 1])
                        dst[o + x] = UInt8((a + 2) >> 2)
                    }
                }
            }
        }
        return GrayImage(width: nw, height: nh, pixels: out)
    }

    /// Area averaging (OpenCV's INTER_AREA in spirit) for large reductions.
    func boxShrunk(width nw: Int, height nh: Int) -> GrayImage {
        var out = [UInt8](repeating: 0, count: nw * nh)
        let w = width, h = height
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<nh {
                    let ya = y * h / nh, yb = max(ya + 1, (y + 1) * h / nh)
                    for x in 0..<nw {
                        let xa = x * w / nw, xb = max(xa + 1, (x + 1) * w / nw)
                        var sum = 0
                        for yy in ya..<yb {
                            let row = yy * w
                            for xx in xa..<xb { sum += Int(src[row + xx]) }
                        }
                        let n = (yb - ya) * (xb - xa)
                        dst[y * nw + x] = UInt8((sum + n / 2) / n)
                    }
                }
            }
        }
        return GrayImage(width: nw, height: nh, pixels: out)
    }

    /// The pixels inside `rect` (clipped to the image).
    public func cropped(_ rect: Box) -> GrayImage {
        let x0 = max(0, rect.x), y0 = max(0, rect.y)
        let x1 = min(width, rect.x + rect.width), y1 = min(height, rect.y + rect.height)
        guard x1 > x0, y1 > y0 else { return GrayImage(width: 1, height: 1, pixels: [0]) }
        var out = [UInt8]()
        out.reserveCapacity((x1 - x0) * (y1 - y0))
        for y in y0..<y1 { out.append(contentsOf: pixels[(y * width + x0)..<(y * width + x1)]) }
        return GrayImage(width: x1 - x0, height: y1 - y0, pixels: out)
    }

    /// Left–right mirror image.
    public func mirrored() -> GrayImage {
        var out = pixels
        for y in 0..<height {
            let row = y * width
            for x in 0..<width { out[row + x] = pixels[row + width - 1 - x] }
        }
        return GrayImage(width: width, height: height, pixels: out)
    }
}

/// An axis-aligned rectangle in integer pixels.
public struct Box: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var area: Int { width * height }
    public var centerX: Double { Double(x) + Double(width) / 2 }
    public var centerY: Double { Double(y) + Double(height) / 2 }
    public var description: String { "\(width)×\(height) at (\(x), \(y))" }

    public func intersection(_ o: Box) -> Box? {
        let x0 = max(x, o.x), y0 = max(y, o.y), x1 = min(maxX, o.maxX), y1 = min(maxY, o.maxY)
        return x1 > x0 && y1 > y0 ? Box(x: x0, y: y0, width: x1 - x0, height: y1 - y0) : nil
    }

    /// Intersection over the smaller box's area: 1 when one box lies inside the other.
    public func overlapOfSmaller(_ o: Box) -> Double {
        guard let i = intersection(o) else { return 0 }
        return Double(i.area) / Double(max(1, min(area, o.area)))
    }

    /// Scaled about the origin (analysis pixels → original pixels).
    public func scaled(by s: Double) -> Box {
        Box(x: Int((Double(x) * s).rounded()), y: Int((Double(y) * s).rounded()),
            width: Int((Double(width) * s).rounded()), height: Int((Double(height) * s).rounded()))
    }
}
