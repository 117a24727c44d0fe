import PhotoCodec
import Testing
@testable import PreflightKit

/// The ladder of quantisation tables a budget fit climbs: one entry coarser per level.
@Suite("quality ladder")
struct QualityLadderTests {
    let ladder = QualityLadder(maxScale: JPEGTranscoder.tableScale(quality: 70))

    @Test("each level raises exactly one entry, never lowers one; chrominance is 1.5× coarser")
    func oneEntryPerLevel() {
        var previous = ladder.tables(at: 0)
        #expect(previous == QuantTables.standard(scale: 1, chromaScale: 1))
        for level in 1...ladder.top {
            let t = ladder.tables(at: level)
            let changed = zip(t.luma + t.chroma, previous.luma + previous.chroma).filter { $0 != $1 }
            #expect(changed.count == 1 && changed[0].0 > changed[0].1, "level \(level): \(changed)")
            #expect(ladder.scale(at: level) >= ladder.scale(at: level - 1))
            previous = t
        }
        #expect(ladder.tables(at: ladder.top) == QuantTables.standard(scale: 600, chromaScale: 900))
    }

    @Test("at each whole scale, the level holds libjpeg's tables for it")
    func levelsAtScales() {
        for scale in [2, 50, 200, 249, 250, 251, 400, 600] {
            let level = ladder.level(atScale: scale)
            #expect(ladder.tables(at: level) == QuantTables.standard(scale: scale, chromaScale: scale * 3 / 2), "scale \(scale)")
            #expect(ladder.scale(at: level) <= scale && (level == ladder.top || ladder.scale(at: level + 1) > scale))
        }
    }

    @Test("at one scale, high frequencies are raised before low, chrominance before luminance")
    func orderWithinAScale() {
        // At 250 every luminance entry ≡ 2 mod 4 rounds up at once (10 → 3, 14 → 4, 18 → 5 …).
        let from = ladder.level(atScale: 249), to = ladder.level(atScale: 250)
        #expect(to - from > 10, "the step the ladder splits: \(to - from) entries")
        var lastLuma = Int.max, sawLuma = false
        for level in (from + 1)...to {
            let a = ladder.tables(at: level - 1), b = ladder.tables(at: level)
            if let i = (0..<64).first(where: { a.luma[$0] != b.luma[$0] }) {
                sawLuma = true
                #expect(QuantTables.zigzagRank[i] < lastLuma)
                lastLuma = QuantTables.zigzagRank[i]
            } else {
                #expect(!sawLuma, "a chrominance entry after a luminance one at level \(level)")
            }
        }
    }
}
