#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The network's arithmetic on NCHW float planes, vectorised along the plane with SIMD8.
/// Sums run in the order of the channels (as a straightforward loop would), so results are
/// deterministic and independent of threads.
///
/// This file is compiled twice: as FaceNetKernels for the x86-64 baseline (SSE2) and, through a
/// symbolic link, as FaceNetKernelsAVX2 for Haswell and later (AVX2, 256-bit vectors, FMA in the
/// 1×1 convolutions; `FACENET_AVX2` is defined there). FaceNet picks one at run time from the
/// CPU's features. The two differ in the last bits where the AVX2 build fuses a multiply-add
/// (a test holds them within 1e-3 px of each other).
public enum Kernels {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    /// a + w·x: fused (one rounding) in the AVX2 build, where FMA exists; a multiply then an add
    /// in the baseline build (a fused multiply-add without the instruction is a library call).
    @inline(__always)
    static func madd(_ a: V, _ w: Float, _ x: V) -> V {
        #if FACENET_AVX2
        return a.addingProduct(V(repeating: w), x)
        #else
        return a + w * x
        #endif
    }
    @inline(__always)
    static func relu(_ v: V) -> V { v.replacing(with: 0, where: v .< 0) }
    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// out[co][p] = bias[co] + Σ_ci w[co][ci] · in[ci][p]. The plane is cut into tiles of 128
    /// pixels whose input (ci × 128 floats, 32 KB at 64 channels) stays in cache while every
    /// output channel is summed over it; within a tile, four output channels at a time (eight
    /// with AVX2's sixteen 256-bit registers), so each input vector loaded serves four (eight) sums.
    @inline(never)
    public static func pointwise(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, weights w: UnsafePointer<Float>,
                                 bias: UnsafePointer<Float>, inChannels ci: Int, outChannels co: Int, plane n: Int, relu: Bool) {
        let vectorEnd = n - n % 8
        let tile = 128
        var t = 0
        while t < vectorEnd {
            let tileEnd = min(t + tile, vectorEnd)
            var c = 0
            #if FACENET_AVX2
            while c + 8 <= co {
                let w0 = w + c * ci, w1 = w0 + ci, w2 = w1 + ci, w3 = w2 + ci, w4 = w3 + ci, w5 = w4 + ci, w6 = w5 + ci, w7 = w6 + ci
                var p = t
                while p < tileEnd {
                    var a0 = V(repeating: bias[c]), a1 = V(repeating: bias[c + 1]), a2 = V(repeating: bias[c + 2]), a3 = V(repeating: bias[c + 3])
                    var a4 = V(repeating: bias[c + 4]), a5 = V(repeating: bias[c + 5]), a6 = V(repeating: bias[c + 6]), a7 = V(repeating: bias[c + 7])
                    var src = input + p
                    for k in 0..<ci {
                        let x = load(src)
                        a0 = madd(a0, w0[k], x)
                        a1 = madd(a1, w1[k], x)
                        a2 = madd(a2, w2[k], x)
                        a3 = madd(a3, w3[k], x)
                        a4 = madd(a4, w4[k], x)
                        a5 = madd(a5, w5[k], x)
                        a6 = madd(a6, w6[k], x)
                        a7 = madd(a7, w7[k], x)
                        src += n
                    }
                    if relu {
                        a0 = Self.relu(a0); a1 = Self.relu(a1); a2 = Self.relu(a2); a3 = Self.relu(a3)
                        a4 = Self.relu(a4); a5 = Self.relu(a5); a6 = Self.relu(a6); a7 = Self.relu(a7)
                    }
                    let out = output + c * n + p
                    store(a0, out); store(a1, out + n); store(a2, out + 2 * n); store(a3, out + 3 * n)
                    store(a4, out + 4 * n); store(a5, out + 5 * n); store(a6, out + 6 * n); store(a7, out + 7 * n)
                    p += 8
                }
                c += 8
            }
            #endif
            while c < co {
                let rows = min(4, co - c)
                let w0 = w + c * ci, w1 = w + min(c + 1, co - 1) * ci, w2 = w + min(c + 2, co - 1) * ci, w3 = w + min(c + 3, co - 1) * ci
                let b0 = V(repeating: bias[c]), b1 = V(repeating: bias[min(c + 1, co - 1)])
                let b2 = V(repeating: bias[min(c + 2, co - 1)]), b3 = V(repeating: bias[min(c + 3, co - 1)])
                var p = t
                while p < tileEnd {
                    var a0 = b0, a1 = b1, a2 = b2, a3 = b3
                    var src = input + p
                    for k in 0..<ci {
                        let x = load(src)
                        a0 = madd(a0, w0[k], x)
                        a1 = madd(a1, w1[k], x)
                        a2 = madd(a2, w2[k], x)
                        a3 = madd(a3, w3[k], x)
                        src += n
                    }
                    if relu {
                        a0 = Self.relu(a0); a1 = Self.relu(a1); a2 = Self.relu(a2); a3 = Self.relu(a3)
                    }
                    store(a0, output + c * n + p)
                    if rows > 1 { store(a1, output + (c + 1) * n + p) }
                    if rows > 2 { store(a2, output + (c + 2) * n + p) }
                    if rows > 3 { store(a3, output + (c + 3) * n + p) }
                    p += 8
                }
                c += 4
            }
            t = tileEnd
        }
        // The last few pixels of the plane, one at a time.
        for c in 0..<co {
            let wr = w + c * ci
            for q in vectorEnd..<n {
                var s = bias[c]
                for k in 0..<ci { s += wr[k] * input[k * n + q] }
                output[c * n + q] = relu ? max(0, s) : s
            }
        }
    }

    /// A 3×3 convolution of each channel with its own kernel, stride 1, zero padding 1: inside
    /// the plane eight outputs at a time from the three input rows in place; the first and last
    /// columns (and the rows beyond the edges) with the zeros spelled out. `scratch` is unused.
    @inline(never)
    public static func depthwise3(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, weights w: UnsafePointer<Float>,
                                  bias: UnsafePointer<Float>, channels: Int, height h: Int, width wd: Int, relu: Bool,
                                  scratch: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            let src = input + c * h * wd, dst = output + c * h * wd
            let k = w + c * 9
            let k0 = V(repeating: k[0]), k1 = V(repeating: k[1]), k2 = V(repeating: k[2])
            let k3 = V(repeating: k[3]), k4 = V(repeating: k[4]), k5 = V(repeating: k[5])
            let k6 = V(repeating: k[6]), k7 = V(repeating: k[7]), k8 = V(repeating: k[8])
            let b = V(repeating: bias[c])
            for y in 0..<h {
                let r1 = src + y * wd
                let hasAbove = y > 0, hasBelow = y + 1 < h
                let r0 = hasAbove ? r1 - wd : r1, r2 = hasBelow ? r1 + wd : r1
                let out = dst + y * wd
                /// One output the long way (any column), zeros beyond every edge.
                func single(_ x: Int) -> Float {
                    func at(_ row: UnsafePointer<Float>, _ ok: Bool, _ xx: Int) -> Float { ok && xx >= 0 && xx < wd ? row[xx] : 0 }
                    var s = bias[c]
                    s += k[0] * at(r0, hasAbove, x - 1) + k[1] * at(r0, hasAbove, x) + k[2] * at(r0, hasAbove, x + 1)
                    s += k[3] * at(r1, true, x - 1) + k[4] * at(r1, true, x) + k[5] * at(r1, true, x + 1)
                    s += k[6] * at(r2, hasBelow, x - 1) + k[7] * at(r2, hasBelow, x) + k[8] * at(r2, hasBelow, x + 1)
                    return relu ? max(0, s) : s
                }
                /// Columns x…x+7, which read x−1…x+8 (all inside the row).
                func eight(_ x: Int) {
                    var a = b
                    if hasAbove { a += k0 * load(r0 + x - 1); a += k1 * load(r0 + x); a += k2 * load(r0 + x + 1) }
                    a += k3 * load(r1 + x - 1); a += k4 * load(r1 + x); a += k5 * load(r1 + x + 1)
                    if hasBelow { a += k6 * load(r2 + x - 1); a += k7 * load(r2 + x); a += k8 * load(r2 + x + 1) }
                    if relu { a = Self.relu(a) }
                    store(a, out + x)
                }
                out[0] = single(0)
                guard wd >= 10 else {
                    for x in 1..<wd { out[x] = single(x) }
                    continue
                }
                var x = 1
                while x + 9 <= wd {
                    eight(x)
                    x += 8
                }
                // The rest but the last column: one more group of eight ending there (it overlaps
                // columns already written, with the same values).
                if x < wd - 1 { eight(wd - 9) }
                out[wd - 1] = single(wd - 1)
            }
        }
    }

    /// A dense k×k convolution with stride and zero padding: for each output row, the input
    /// samples every tap (input channel, ky, kx) reads are gathered into contiguous rows once
    /// (`scratch`: ci·k·k rows of the output width, padded to whole vectors), then each output
    /// channel sums its taps in registers and is stored once.
    @inline(never)
    public static func dense(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, weights w: UnsafePointer<Float>,
                      bias: UnsafePointer<Float>, inChannels ci: Int, outChannels co: Int, height h: Int, width wd: Int,
                      outHeight oh: Int, outWidth ow: Int, kernel k: Int, stride s: Int, padTop: Int, padLeft: Int, relu: Bool,
                      scratch: UnsafeMutablePointer<Float>) {
        let plane = oh * ow
        let taps = ci * k * k
        let rowStride = (ow + 7) / 8 * 8
        for oy in 0..<oh {
            // Gather: tap t = (c, ky, kx) in the weights' order.
            for c in 0..<ci {
                for ky in 0..<k {
                    let iy = oy * s + ky - padTop
                    for kx in 0..<k {
                        let row = scratch + ((c * k + ky) * k + kx) * rowStride
                        guard iy >= 0 && iy < h else {
                            row.update(repeating: 0, count: rowStride)
                            continue
                        }
                        let src = input + (c * h + iy) * wd
                        for ox in 0..<rowStride {
                            let ix = ox * s + kx - padLeft
                            row[ox] = ox < ow && ix >= 0 && ix < wd ? src[ix] : 0
                        }
                    }
                }
            }
            // Four output channels at a time: each tap row loaded serves four sums.
            var o = 0
            while o < co {
                let n = min(4, co - o)
                let w0 = w + o * taps, w1 = w + min(o + 1, co - 1) * taps
                let w2 = w + min(o + 2, co - 1) * taps, w3 = w + min(o + 3, co - 1) * taps
                var x = 0
                while x < ow {
                    var a0 = V(repeating: bias[o]), a1 = V(repeating: bias[min(o + 1, co - 1)])
                    var a2 = V(repeating: bias[min(o + 2, co - 1)]), a3 = V(repeating: bias[min(o + 3, co - 1)])
                    var row = UnsafePointer(scratch) + x
                    for t in 0..<taps {
                        let v = load(row)
                        a0 += w0[t] * v
                        a1 += w1[t] * v
                        a2 += w2[t] * v
                        a3 += w3[t] * v
                        row += rowStride
                    }
                    if relu { a0 = Self.relu(a0); a1 = Self.relu(a1); a2 = Self.relu(a2); a3 = Self.relu(a3) }
                    let base = output + o * plane + oy * ow + x
                    if x + 8 <= ow {
                        store(a0, base)
                        if n > 1 { store(a1, base + plane) }
                        if n > 2 { store(a2, base + 2 * plane) }
                        if n > 3 { store(a3, base + 3 * plane) }
                    } else {
                        for i in 0..<(ow - x) {
                            base[i] = a0[i]
                            if n > 1 { base[plane + i] = a1[i] }
                            if n > 2 { base[2 * plane + i] = a2[i] }
                            if n > 3 { base[3 * plane + i] = a3[i] }
                        }
                    }
                    x += 8
                }
                o += 4
            }
        }
    }

    @inline(never)
    public static func maxPool(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, channels: Int, height h: Int, width w: Int,
                        outHeight oh: Int, outWidth ow: Int, kernel k: Int, stride s: Int) {
        if k == 2 && s == 2 {
            for c in 0..<channels {
                let src = input + c * h * w, dst = output + c * oh * ow
                for oy in 0..<oh {
                    let r0 = src + 2 * oy * w, r1 = r0 + w, out = dst + oy * ow
                    for ox in 0..<ow {
                        out[ox] = max(max(r0[2 * ox], r0[2 * ox + 1]), max(r1[2 * ox], r1[2 * ox + 1]))
                    }
                }
            }
            return
        }
        for c in 0..<channels {
            let src = input + c * h * w, dst = output + c * oh * ow
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var m = -Float.infinity
                    for ky in 0..<k {
                        let row = src + (oy * s + ky) * w + ox * s
                        for kx in 0..<k where row[kx] > m || row[kx].isNaN { m = row[kx] }
                    }
                    dst[oy * ow + ox] = m
                }
            }
        }
    }

    @inline(never)
    public static func upsample(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, channels: Int, height h: Int, width w: Int,
                         factorY fy: Int, factorX fx: Int) {
        let ow = w * fx
        for c in 0..<channels {
            let src = input + c * h * w, dst = output + c * h * fy * ow
            for y in 0..<h {
                let row = dst + y * fy * ow
                for x in 0..<w {
                    let v = src[y * w + x]
                    for i in 0..<fx { row[x * fx + i] = v }
                }
                for r in 1..<max(1, fy) { (row + r * ow).update(from: row, count: ow) }
            }
        }
    }

    @inline(never)
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count n: Int, relu: Bool) {
        for i in 0..<n {
            let s = a[i] + b[i]
            output[i] = relu ? max(0, s) : s
        }
    }

    @inline(never)
    public static func sigmoid(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { output[i] = 1 / (1 + expf(-input[i])) }
    }

    /// Moves axis perm[d] of the input to axis d of the output (any rank up to 6).
    @inline(never)
    public static func transpose(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, shape: [Int], perm: [Int]) {
        let rank = shape.count
        var strides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        let outShape = perm.map { shape[$0] }
        let stepIn = perm.map { strides[$0] }
        let total = shape.reduce(1, *)
        var index = [Int](repeating: 0, count: rank)
        var from = 0
        for i in 0..<total {
            output[i] = input[from]
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                from += stepIn[d]
                if index[d] < outShape[d] { break }
                from -= stepIn[d] * outShape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}
