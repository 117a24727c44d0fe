/// Summed-area tables over a `GrayImage`, (width+1)×(height+1), row-major, first row and column 0.
///
/// Sums and squared sums wrap modulo 2³²: a window's sum is the wrapped difference of four
/// corners, exact as long as the window's own total fits in 32 bits (a 24×24 window of 8-bit
/// squares is under 2²⁵), so whole-image totals may overflow harmlessly.
struct IntegralImages {
    let width: Int
    let height: Int
    /// Entries per row: at least width + 1 (wider when one compiled cascade plan serves every
    /// level of a pyramid).
    let stride: Int
    var sum: [UInt32]
    var squares: [UInt32]
    /// OpenCV's 45° table: tilted(X, Y) = Σ image(x, y) over y < Y, |x − X + 1| ≤ Y − y − 1.
    var tilted: [UInt32]

    init(_ image: GrayImage, squares wantSquares: Bool, tilted wantTilted: Bool, stride: Int? = nil) {
        width = image.width
        height = image.height
        let s = max(image.width + 1, stride ?? 0)
        self.stride = s
        var sum = [UInt32](repeating: 0, count: s * (image.height + 1))
        var sq = [UInt32](repeating: 0, count: wantSquares ? s * (image.height + 1) : 0)
        IntegralImages.fill(image, stride: s, sum: &sum, squares: &sq)
        self.sum = sum
        self.squares = sq
        self.tilted = wantTilted ? IntegralImages.tiltedTable(image, stride: s) : []
    }

    /// Writes the sum (and, when `squares` is not empty, squared-sum) tables of `image` into
    /// buffers of at least `stride` × (height + 1) entries whose first row and column are zero:
    /// rows 1…height, columns 1…width are overwritten, so one pair of buffers serves every level
    /// of a pyramid without clearing.
    static func fill(_ image: GrayImage, stride s: Int, sum: inout [UInt32], squares: inout [UInt32]) {
        let w = image.width, h = image.height
        precondition(s > w && sum.count >= s * (h + 1) && (squares.isEmpty || squares.count >= s * (h + 1)))
        image.pixels.withUnsafeBufferPointer { px in
            sum.withUnsafeMutableBufferPointer { S in
                if squares.isEmpty {
                    for y in 0..<h {
                        var rowSum: UInt32 = 0
                        let src = y * w, above = y * s, here = (y + 1) * s
                        for x in 0..<w {
                            rowSum &+= UInt32(px[src + x])
                            S[here + x + 1] = S[above + x + 1] &+ rowSum
                        }
                    }
                    return
                }
                // Both tables in one pass over the pixels.
                squares.withUnsafeMutableBufferPointer { Q in
                    for y in 0..<h {
                        var rowSum: UInt32 = 0, rowSquares: UInt32 = 0
                        let src = y * w, above = y * s, here = (y + 1) * s
                        for x in 0..<w {
                            let v = UInt32(px[src + x])
                            rowSum &+= v
                            rowSquares &+= v &* v
                            S[here + x + 1] = S[above + x + 1] &+ rowSum
                            Q[here + x + 1] = Q[above + x + 1] &+ rowSquares
                        }
                    }
                }
            }
        }
    }

    /// Built with the recurrence T(X,Y) = T(X−1,Y−1) + T(X+1,Y−1) − T(X,Y−2) + I(X−1,Y−1) + I(X−1,Y−2)
    /// on a copy padded by `height + 1` columns each side, where the triangles that reach past
    /// the image edges are still exact.
    static func tiltedTable(_ image: GrayImage, stride: Int) -> [UInt32] {
        let w = image.width, h = image.height, pad = h + 1
        let pw = w + 1 + 2 * pad  // padded columns: X from −pad to w + pad
        var t = [UInt32](repeating: 0, count: pw * (h + 1))
        func pixel(_ x: Int, _ y: Int) -> UInt32 {
            x >= 0 && x < w && y >= 0 && y < h ? UInt32(image.pixels[y * w + x]) : 0
        }
        for Y in 1...max(1, h) where h > 0 {
            for c in 1..<(pw - 1) {
                let X = c - pad
                var v = t[(Y - 1) * pw + c - 1] &+ t[(Y - 1) * pw + c + 1] &+ pixel(X - 1, Y - 1)
                if Y >= 2 { v = v &- t[(Y - 2) * pw + c] &+ pixel(X - 1, Y - 2) }
                t[Y * pw + c] = v
            }
        }
        var out = [UInt32](repeating: 0, count: stride * (h + 1))
        for Y in 0...h {
            for X in 0...w { out[Y * stride + X] = t[Y * pw + X + pad] }
        }
        return out
    }
}
