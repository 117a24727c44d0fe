/// The quantisation divisors a requantising JPEG rewrite aims at: 64 for luminance and 64 for
/// chrominance, in natural (row-major) order. The rewriter never makes a table finer than the
/// file's own, so these are floors on coarseness, entry by entry.
public struct QuantTables: Sendable, Equatable {
    public var luma: [UInt16]
    public var chroma: [UInt16]

    public init(luma: [UInt16], chroma: [UInt16]) {
        precondition(luma.count == 64 && chroma.count == 64, "a quantisation table has 64 entries")
        self.luma = luma
        self.chroma = chroma
    }

    /// The example tables of the JPEG standard (ITU-T T.81, Annex K), which libjpeg scales for
    /// its quality setting.
    public static let annexKLuma: [UInt16] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ]
    public static let annexKChroma: [UInt16] = [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
        24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
    ] + [UInt16](repeating: 99, count: 32)

    /// One entry of a standard table scaled by `scale` per mille, as libjpeg's
    /// `jpeg_add_quant_table` rounds it with `force_baseline` (1…255).
    @inlinable
    public static func scaled(_ base: UInt16, _ scale: Int) -> UInt16 {
        UInt16(min(255, max(1, (Int(base) * scale + 500) / 1000)))
    }

    /// libjpeg's tables for a table scale (per mille; quality 90 is 200, see
    /// `JPEGTranscoder.tableScale(quality:)`); `chromaScale` nil scales chrominance alike.
    public static func standard(scale: Int, chromaScale: Int? = nil) -> QuantTables {
        QuantTables(luma: annexKLuma.map { scaled($0, scale) }, chroma: annexKChroma.map { scaled($0, chromaScale ?? scale) })
    }

    /// The zigzag position (0 = DC … 63 = highest frequency) of each natural-order index.
    public static let zigzagRank: [Int] = {
        var rank = [Int](repeating: 0, count: 64)
        var i = 0
        for d in 0..<15 {
            let cells = (max(0, d - 7)...min(d, 7)).map { d % 2 == 0 ? (d - $0, $0) : ($0, d - $0) }
            for (row, column) in cells {
                rank[row * 8 + column] = i
                i += 1
            }
        }
        return rank
    }()
}
