import PhotoCodec

/// A deterministic pseudo-random generator (SplitMix64), so fixtures are the same on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 56) }
    /// Roughly normal noise (sum of four uniforms), mean 0, standard deviation about `sigma`.
    mutating func noise(_ sigma: Double) -> Double {
        var s = 0.0
        for _ in 0..<4 { s += Double(next() >> 11) / Double(1 << 53) }
        return (s - 2) * sigma * 1.732
    }
}

/// Synthetic stand-ins for photos: a lit backdrop, a head-and-shoulders silhouette and sensor
/// noise. They exercise the decoders and header rules; they are not faces to a face detector.
enum Synth {
    static func portrait(width: Int, height: Int, seed: UInt64, noise: Double = 2) -> Raster {
        var rng = SplitMix64(seed: seed)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let cx = Double(width) / 2, headY = Double(height) * 0.4
        let headR = Double(min(width, height)) * 0.18
        let tint = Double(rng.next() % 60)
        for y in 0..<height {
            let fy = Double(y) / Double(height)
            for x in 0..<width {
                let fx = Double(x) / Double(width)
                var r = 70 + 90 * fy + tint, g = 90 + 60 * fx, b = 150 - 40 * fy
                let dx = Double(x) - cx, dy = Double(y) - headY
                let head = (dx * dx) / (headR * headR * 0.7) + (dy * dy) / (headR * headR) < 1
                let shoulders = Double(y) > headY + headR * 1.3
                    && abs(dx) < headR * 1.1 + (Double(y) - headY - headR * 1.3) * 1.2
                if head { r = 215 - 0.25 * dy; g = 170 - 0.2 * dy; b = 140 }
                else if shoulders { r = 40 + 20 * fx; g = 50; b = 80 + 30 * fy }
                let n = rng.noise(noise)
                let i = (y * width + x) * 3
                pixels[i] = clamp(r + n)
                pixels[i + 1] = clamp(g + n * 0.9)
                pixels[i + 2] = clamp(b + n * 1.1)
            }
        }
        return Raster(width: width, height: height, channels: 3, pixels: pixels)
    }

    static func clamp(_ v: Double) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }

    /// A phone-sized headshot with a real face: `source` (RGB) enlarged to the full height
    /// (nearest neighbour) on a lit backdrop, shifted sideways by `offset` of the spare width,
    /// with sensor noise, so the face detector has a real face to find at benchmark sizes.
    /// `fill`: the portrait scaled to the full height and cut to the width (a tall phone frame
    /// with the face filling it as a shoulders-up shot), instead of a square at the top.
    static func headshot(source: Raster, width: Int, height: Int, seed: UInt64, offset: Double, noise: Double,
                         fill: Bool = false) -> Raster {
        var rng = SplitMix64(seed: seed)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let side = fill ? max(width, height) : min(width, height)
        let x0 = Int(Double(width - side) * offset)
        let sx = (0..<side).map { $0 * source.width / side }
        for y in 0..<height {
            let sy = min(source.height - 1, y * source.height / side)
            for x in 0..<width {
                let i = (y * width + x) * 3
                let n = rng.noise(noise)
                if x >= x0 && x < x0 + side && y < side {
                    let j = (sy * source.width + sx[x - x0]) * source.channels
                    for c in 0..<3 { pixels[i + c] = clamp(Double(source.pixels[j + min(c, source.channels - 1)]) + n) }
                } else {
                    let fy = Double(y) / Double(height)
                    pixels[i] = clamp(120 + 40 * fy + n); pixels[i + 1] = clamp(125 + n); pixels[i + 2] = clamp(130 - 20 * fy + n)
                }
            }
        }
        return Raster(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// The green channel as grey.
    static func grey(_ r: Raster) -> Raster {
        Raster(width: r.width, height: r.height, channels: 1, pixels: stride(from: 1, to: r.pixels.count, by: 3).map { r.pixels[$0] })
    }

    /// RGB with an alpha channel: opaque everywhere, or fading out towards the corners.
    static func rgba(_ r: Raster, transparentCorners: Bool) -> Raster {
        var out = [UInt8]()
        out.reserveCapacity(r.width * r.height * 4)
        for y in 0..<r.height {
            for x in 0..<r.width {
                let i = (y * r.width + x) * 3
                out += r.pixels[i..<i + 3]
                let corner = transparentCorners && (x < r.width / 5 || x > r.width * 4 / 5) && y < r.height / 5
                out.append(corner ? 0 : 255)
            }
        }
        return Raster(width: r.width, height: r.height, channels: 4, pixels: out)
    }

    /// Adobe-style inverted CMYK of an RGB raster (0 = full ink), as Photoshop writes it.
    static func invertedCMYK(_ r: Raster) -> Raster {
        var out = [UInt8]()
        out.reserveCapacity(r.width * r.height * 4)
        for p in 0..<(r.width * r.height) {
            let R = Int(r.pixels[3 * p]), G = Int(r.pixels[3 * p + 1]), B = Int(r.pixels[3 * p + 2])
            let maxv = max(R, G, B)
            let k = 255 - maxv
            func ink(_ v: Int) -> Int { maxv == 0 ? 0 : (maxv - v) * 255 / maxv }
            out += [UInt8(255 - ink(R)), UInt8(255 - ink(G)), UInt8(255 - ink(B)), UInt8(255 - k)]
        }
        return Raster(width: r.width, height: r.height, channels: 4, pixels: out)
    }

    /// 16-bit big-endian samples from 8-bit RGB (each value v becomes v × 257).
    static func sixteenBit(_ r: Raster) -> [UInt8] {
        r.pixels.flatMap { [$0, $0] }
    }

    /// A 256-colour palette image: (palette, indices).
    static func palette(width: Int, height: Int) -> ([UInt8], [UInt8]) {
        var palette: [UInt8] = []
        for i in 0..<256 { palette += [UInt8(i), UInt8((i * 3) & 0xFF), UInt8(255 - i)] }
        var indices = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width { indices[y * width + x] = UInt8(((x / 8) + (y / 8) * 3) & 0xFF) }
        }
        return (palette, indices)
    }
}
