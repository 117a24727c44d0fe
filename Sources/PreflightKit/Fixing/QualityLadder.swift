import PhotoCodec

/// Every quantisation table a budget fit may choose, from finest to coarsest, one entry at a time.
///
/// Scaling libjpeg's standard tables as a whole moves in large steps at high quality: many
/// entries cross a rounding boundary at the same scale (at 250 per mille, every entry ≡ 2 mod 4
/// rounds up at once, 5 % of a 48 MP photo's size), so a size search lands well under its budget.
/// The ladder raises entries one at a time instead, in the order the scale would raise them and,
/// at the same scale, chrominance first and high frequencies before low, so sizes fall in small
/// steps and the fit lands close to the budget. Chrominance is scaled `chromaRatio` times
/// coarser than luminance: the eye resolves colour detail less finely than light, and what the
/// chrominance gives up buys luminance detail at the same size.
struct QualityLadder {
    /// A table entry reaching a value at a luminance table scale.
    private struct Raise {
        var scale: Int
        var chroma: Bool
        var index: Int
        var value: UInt16
    }
    private let raises: [Raise]
    private let start: QuantTables
    /// The chrominance scale is the luminance one times numerator / denominator.
    static let chromaRatio = (numerator: 3, denominator: 2)

    /// The ladder from table scale 1 (finest) up to `maxScale` per mille.
    init(maxScale: Int) {
        let r = Self.chromaRatio
        func tables(_ s: Int) -> QuantTables { .standard(scale: s, chromaScale: s * r.numerator / r.denominator) }
        start = tables(1)
        var raises: [Raise] = []
        var previous = start
        for s in 2...max(2, maxScale) {
            let next = tables(s)
            for i in 0..<64 where next.chroma[i] != previous.chroma[i] {
                raises.append(Raise(scale: s, chroma: true, index: i, value: next.chroma[i]))
            }
            for i in 0..<64 where next.luma[i] != previous.luma[i] {
                raises.append(Raise(scale: s, chroma: false, index: i, value: next.luma[i]))
            }
            previous = next
        }
        self.raises = raises.sorted {
            if $0.scale != $1.scale { return $0.scale < $1.scale }
            if $0.chroma != $1.chroma { return $0.chroma }
            return QuantTables.zigzagRank[$0.index] > QuantTables.zigzagRank[$1.index]
        }
    }

    /// Levels run 0 (scale 1) … `top` (every raise up to `maxScale` made).
    var top: Int { raises.count }

    /// The tables at a level: each entry at least as coarse as at every lower level.
    func tables(at level: Int) -> QuantTables {
        var t = start
        for raise in raises.prefix(max(0, min(level, top))) {
            if raise.chroma { t.chroma[raise.index] = raise.value } else { t.luma[raise.index] = raise.value }
        }
        return t
    }

    /// The luminance table scale a level has reached (libjpeg's scale, for naming the quality).
    func scale(at level: Int) -> Int { level <= 0 ? 1 : raises[min(level, top) - 1].scale }

    /// The level holding every raise up to `scale`: libjpeg's tables at that scale (with the
    /// ladder's chrominance ratio).
    func level(atScale scale: Int) -> Int {
        var lo = 0, hi = top
        while lo < hi {
            let mid = (lo + hi) / 2
            if raises[mid].scale <= scale { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
