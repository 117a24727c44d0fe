/// Multi-scale sliding-window detection with a `Cascade`, after OpenCV's `detectMultiScale`:
/// the image is shrunk by `scaleFactor` per level, the window slides with a step of 2 pixels
/// (1 once the image is shrunk more than 2×; a window rejected by the first stage also skips the
/// next position), and the raw hits are grouped (`groupRectangles`).
public struct DetectionOptions: Sendable {
    public var scaleFactor = 1.1
    /// Hits needed in a group for it to count (OpenCV's minNeighbors).
    public var minNeighbors = 3
    /// Smallest and largest window side, in the image's pixels.
    public var minSize = 0
    public var maxSize = Int.max
    public init(scaleFactor: Double = 1.1, minNeighbors: Int = 3, minSize: Int = 0, maxSize: Int = .max) {
        self.scaleFactor = scaleFactor
        self.minNeighbors = minNeighbors
        self.minSize = minSize
        self.maxSize = maxSize
    }
}

/// A grouped detection: the averaged box and how many raw hits it gathered.
public struct Detection: Sendable, Equatable {
    public var box: Box
    public var neighbors: Int
}

extension Cascade {
    /// OpenCV lowers every stage threshold by this much when it loads a cascade.
    static let thresholdEpsilon: Float = 1e-5

    /// Grouped detections, largest first.
    public func detect(in image: GrayImage, options: DetectionOptions = DetectionOptions()) -> [Detection] {
        var deepest = 0
        return detect(in: image, options: options, deepestStage: &deepest)
    }

    /// Grouped detections, largest first; `deepestStage` is set to the most stages any window
    /// passed (`stageCount` when some window was accepted): how close the image came to a face.
    public func detect(in image: GrayImage, options: DetectionOptions, deepestStage: inout Int) -> [Detection] {
        let raw = detectRaw(in: image, options: options, deepestStage: &deepestStage)
        return Grouping.grouped(raw, minNeighbors: options.minNeighbors)
    }

    /// Every window the cascade accepts, in image coordinates, before grouping.
    public func detectRaw(in image: GrayImage, options: DetectionOptions = DetectionOptions()) -> [Box] {
        var deepest = 0
        return detectRaw(in: image, options: options, deepestStage: &deepest)
    }

    public func detectRaw(in image: GrayImage, options: DetectionOptions, deepestStage: inout Int) -> [Box] {
        detectRaw(in: image, options: options, deepestStage: &deepestStage, lanes: Self.lanesByDefault)
    }

    /// Optimised builds scan eight windows at a time. Unoptimised (debug) builds keep to one at a
    /// time, where generic SIMD code is many times slower; the tests compare the two scans.
    static let lanesByDefault: Bool = {
        #if DEBUG
        false
        #else
        true
        #endif
    }()

    /// `lanes: false` keeps to the one-window-at-a-time scan (the tests compare the two).
    func detectRaw(in image: GrayImage, options: DetectionOptions, deepestStage: inout Int, lanes: Bool) -> [Box] {
        deepestStage = 0
        var hits: [Box] = []
        var factor = 1.0
        let scaleFactor = max(1.0001, options.scaleFactor)
        // One compiled plan for every level: all integral tables share the first level's stride.
        let stride = image.width + 1
        let plan: Plan = featureType == .haar ? .haar(HaarPlan(self, stride: stride)) : .lbp(LBPPlan(self, stride: stride))
        // Levels are resampled bilinearly from the nearest 2×2-averaged halving that is at
        // least as large, so no level aliases and none reads the full image more than once.
        var source = image
        // One pair of summed-area buffers for every level (each level overwrites what it uses),
        // with room for eight-lane loads that reach past the last row.
        let tableSize = stride * (image.height + 1) + Self.lanePadding
        var sums = [UInt32](repeating: 0, count: tableSize)
        var squares = [UInt32](repeating: 0, count: featureType == .haar ? tableSize : 0)
        while true {
            defer { factor *= scaleFactor }
            let winW = Int((Double(windowWidth) * factor).rounded()), winH = Int((Double(windowHeight) * factor).rounded())
            let sw = Int((Double(image.width) / factor).rounded()), sh = Int((Double(image.height) / factor).rounded())
            let spanX = sw - windowWidth, spanY = sh - windowHeight
            if spanX <= 0 || spanY <= 0 { break }
            if winW > options.maxSize || winH > options.maxSize { break }
            if winW < options.minSize || winH < options.minSize { continue }
            while source.width >= 2 * sw && source.height >= 2 * sh { source = source.halved() }
            let scaled = source.resized(width: sw, height: sh)
            let step = factor > 2 ? 1 : 2
            let deepest = scan(scaled, plan: plan, stride: stride, sums: &sums, squares: &squares, spanX: spanX, spanY: spanY,
                               step: step, lanes: lanes) { x, y in
                hits.append(Box(x: Int((Double(x) * factor).rounded()), y: Int((Double(y) * factor).rounded()),
                                width: winW, height: winH))
            }
            deepestStage = max(deepestStage, deepest)
        }
        return hits
    }

    /// Entries past a summed-area table that eight-lane loads may read (masked lanes only).
    static let lanePadding = 64

    enum Plan {
        case haar(HaarPlan)
        case lbp(LBPPlan)
    }

    /// Returns the most stages any window passed.
    @discardableResult
    func scan(_ image: GrayImage, plan: Plan, stride: Int, sums: inout [UInt32], squares: inout [UInt32], spanX: Int, spanY: Int,
              step: Int, lanes: Bool = true, hit: (Int, Int) -> Void) -> Int {
        var deepest = 0
        IntegralImages.fill(image, stride: stride, sum: &sums, squares: &squares)
        let tilted = hasTilted ? IntegralImages.tiltedTable(image, stride: stride) : []
        let s = stride
        switch plan {
        case .haar(let plan):
            let nw = windowWidth - 2, nh = windowHeight - 2
            let n0 = s + 1, n1 = s + 1 + nw, n2 = (1 + nh) * s + 1, n3 = (1 + nh) * s + 1 + nw
            let area = Double(nw * nh)
            plan.withKernel { kernel in
            sums.withUnsafeBufferPointer { S in
                squares.withUnsafeBufferPointer { Q in
                    tilted.withUnsafeBufferPointer { T in
                        let sumBase = S.baseAddress!
                        let tiltedBase = T.baseAddress ?? sumBase
                        if lanes && (kernel.pairTrees || kernel.stumps) && !hasTilted && S.count >= s * (image.height + 1) + Self.lanePadding
                            && Q.count >= s * (image.height + 1) + Self.lanePadding {
                            deepest = kernel.scanLanes(sum: sumBase, squares: Q.baseAddress!, stride: s, corners: (n0, n1, n2, n3),
                                                       area: area, spanX: spanX, spanY: spanY, step: step, hit: hit)
                            return
                        }
                        var y = 0
                        while y < spanY {
                            var x = 0
                            while x < spanX {
                                let p = y * s + x
                                let valsum = Int32(bitPattern: S[p + n0] &- S[p + n1] &- S[p + n2] &+ S[p + n3])
                                let sq = Q[p + n0] &- Q[p + n1] &- Q[p + n2] &+ Q[p + n3]
                                let nf = area * Double(sq) - Double(valsum) * Double(valsum)
                                // nf = area · σ. As OpenCV, windows with σ ≤ 10 (flat, low contrast)
                                // are rejected outright, and so is the next position.
                                if nf > 100 * area * area {
                                    let r = kernel.run(sum: sumBase + p, tilted: tiltedBase + p,
                                                       inverseNorm: Float(1 / nf.squareRoot()))
                                    if r > 0 { hit(x, y); deepest = stageCount } else if r == 0 { x += step } else { deepest = max(deepest, -r) }
                                } else {
                                    x += step
                                }
                                x += step
                            }
                            y += step
                        }
                    }
                }
            }
            }
        case .lbp(let plan):
            sums.withUnsafeBufferPointer { S in
                var y = 0
                while y < spanY {
                    var x = 0
                    while x < spanX {
                        let r = plan.run(at: y * s + x, S)
                        if r > 0 { hit(x, y); deepest = stageCount } else if r == 0 { x += step } else { deepest = max(deepest, -r) }
                        x += step
                    }
                    y += step
                }
            }
        }
        return deepest
    }
}

/// A Haar cascade compiled for one integral-image stride: every node carries its feature's
/// corner offsets and weights inline, so evaluating a window walks one flat array.
struct HaarPlan {
    struct CompiledNode {
        // Corner offsets of up to three rectangles (a, b, c, d: sum = a − b − c + d).
        var o0: (Int32, Int32, Int32, Int32)
        var o1: (Int32, Int32, Int32, Int32)
        var o2: (Int32, Int32, Int32, Int32)
        var w0: Float, w1: Float, w2: Float
        var threshold: Float
        var left: Int32, right: Int32
        var tilted: Bool
        var threeRects: Bool
    }
    struct CompiledTree { var firstNode: Int32; var firstLeaf: Int32 }
    var nodes: [CompiledNode] = []
    var trees: [CompiledTree] = []
    var leaves: [Float]
    struct CompiledStage { var threshold: Float; var first: Int32; var end: Int32 }
    var stages: [CompiledStage]

    init(_ c: Cascade, stride s: Int) {
        func corners(_ r: Cascade.WeightedRect, tilted: Bool) -> (Int32, Int32, Int32, Int32) {
            if tilted {
                return (Int32(r.y * s + r.x), Int32((r.y + r.height) * s + r.x - r.height),
                        Int32((r.y + r.width) * s + r.x + r.width),
                        Int32((r.y + r.width + r.height) * s + r.x + r.width - r.height))
            }
            return (Int32(r.y * s + r.x), Int32(r.y * s + r.x + r.width), Int32((r.y + r.height) * s + r.x),
                    Int32((r.y + r.height) * s + r.x + r.width))
        }
        nodes.reserveCapacity(c.nodes.count)
        let features = c.haarFeatures
        let none = Cascade.WeightedRect(x: 0, y: 0, width: 0, height: 0, weight: 0)
        for n in c.nodes {
            let f = features[Int(n.feature)]
            let r0 = f.rects[0], r1 = f.rects.count > 1 ? f.rects[1] : none, r2 = f.rects.count > 2 ? f.rects[2] : none
            nodes.append(CompiledNode(o0: corners(r0, tilted: f.tilted), o1: corners(r1, tilted: f.tilted),
                                      o2: corners(r2, tilted: f.tilted), w0: r0.weight, w1: r1.weight,
                                      w2: r2.weight, threshold: n.threshold, left: n.left, right: n.right,
                                      tilted: f.tilted, threeRects: r2.weight != 0))
        }
        trees = c.trees.map { CompiledTree(firstNode: $0.firstNode, firstLeaf: $0.firstLeaf) }
        leaves = c.leaves
        stages = c.stages.map {
            CompiledStage(threshold: $0.threshold - Cascade.thresholdEpsilon, first: Int32($0.firstTree),
                          end: Int32($0.firstTree + $0.treeCount))
        }
        // OpenCV's tree cascades (frontalface_alt2) have two nodes per tree: the root leads to
        // leaf 0 or to node 1, which leads to leaf 1 or 2. Evaluating both nodes and selecting
        // avoids a hard-to-predict branch per tree.
        pairTrees = c.trees.enumerated().allSatisfy { i, t in
            let a = Int(t.firstNode)
            guard a == 2 * i, a + 1 < nodes.count, t.firstLeaf == Int32(3 * i) else { return false }
            let n0 = nodes[a], n1 = nodes[a + 1]
            return ((n0.left == 0 && n0.right == 1) || (n0.left == 1 && n0.right == 0)) && n1.left == -1 && n1.right == -2
        }
        // The eye and profile cascades are stumps: one node, straight to one of two leaves.
        stumps = c.trees.allSatisfy { t in
            Int(t.firstNode) < nodes.count && nodes[Int(t.firstNode)].left <= 0 && nodes[Int(t.firstNode)].right <= 0
        }
    }
    var pairTrees = false
    var stumps = false

    /// Runs `body` with raw pointers to the compiled arrays (valid only inside it).
    func withKernel<R>(_ body: (Kernel) -> R) -> R {
        nodes.withUnsafeBufferPointer { n in
            trees.withUnsafeBufferPointer { t in
                leaves.withUnsafeBufferPointer { l in
                    stages.withUnsafeBufferPointer { st in
                        body(Kernel(nodes: n.baseAddress!, trees: t.baseAddress!, leaves: l.baseAddress!,
                                    stages: st.baseAddress!, stageCount: st.count, pairTrees: pairTrees, stumps: stumps))
                    }
                }
            }
        }
    }

    struct Kernel {
        let nodes: UnsafePointer<CompiledNode>
        let trees: UnsafePointer<CompiledTree>
        let leaves: UnsafePointer<Float>
        let stages: UnsafePointer<CompiledStage>
        let stageCount: Int
        let pairTrees: Bool
        let stumps: Bool

        @inline(__always)
        static func value(_ n: UnsafePointer<CompiledNode>, _ sum: UnsafePointer<UInt32>, _ tilted: UnsafePointer<UInt32>) -> Float {
            let table = n.pointee.tilted ? tilted : sum
            var v = n.pointee.w0 * Kernel.rect(table, n.pointee.o0) + n.pointee.w1 * Kernel.rect(table, n.pointee.o1)
            if n.pointee.threeRects { v += n.pointee.w2 * Kernel.rect(table, n.pointee.o2) }
            return v
        }

        @inline(__always)
        static func rect(_ t: UnsafePointer<UInt32>, _ o: (Int32, Int32, Int32, Int32)) -> Float {
            Float(Int32(bitPattern: t[Int(o.0)] &- t[Int(o.1)] &- t[Int(o.2)] &+ t[Int(o.3)]))
        }

        /// Live lanes at or below which the windows continue one at a time.
        static let laneThreshold = 1

        /// For each pattern of the eight lanes' first-stage results (bit k: window k passed the
        /// variance test and stage 0), which windows the one-at-a-time scan visits and how many
        /// positions it moves on: a rejected window makes it skip the next one.
        static let walks: [(visited: UInt8, advance: UInt8)] = (0..<256).map { passed in
            var visited = 0, k = 0
            while k < 8 {
                visited |= 1 << k
                k += passed & (1 << k) != 0 ? 1 : 2
            }
            return (UInt8(visited), UInt8(k))
        }

        /// The lanes set in `mask` as bits 0–7.
        @inline(__always)
        static func bits(_ mask: SIMDMask<SIMD8<Int32>>) -> Int {
            Int(SIMD8<Int32>(repeating: 0).replacing(with: SIMD8<Int32>(1, 2, 4, 8, 16, 32, 64, 128), where: mask).wrappedSum())
        }

        @inline(__always)
        static func bits(_ mask: SIMDMask<SIMD8<Int64>>) -> Int {
            Int(SIMD8<Int64>(repeating: 0).replacing(with: SIMD8<Int64>(1, 2, 4, 8, 16, 32, 64, 128), where: mask).wrappedSum())
        }

        /// Eight window positions at a time (x, x + step, … x + 7·step) for cascades of two-node
        /// trees or of stumps, without tilted features: every feature's corner sums are eight-lane loads.
        /// The result is exactly the one-window-at-a-time scan's: the same windows are visited
        /// (a window rejected by the variance test or by stage 0 skips the next position, which
        /// is then not reported whatever it would give), with the same arithmetic per lane, and
        /// hits are reported in the same order. Returns the most stages any visited window passed.
        func scanLanes(sum: UnsafePointer<UInt32>, squares: UnsafePointer<UInt32>, stride s: Int, corners: (Int, Int, Int, Int),
                       area: Double, spanX: Int, spanY: Int, step: Int, hit: (Int, Int) -> Void) -> Int {
            typealias Lanes = SIMD8<Float>
            let (n0, n1, n2, n3) = corners
            let flat = 100 * area * area
            var deepest = 0
            @inline(__always) func bits(_ m: SIMDMask<SIMD8<Int32>>) -> Int { Kernel.bits(m) }
            @inline(__always) func bits(_ m: SIMDMask<SIMD8<Int64>>) -> Int { Kernel.bits(m) }
            @inline(__always) func load(_ p: UnsafePointer<UInt32>) -> SIMD8<UInt32> {
                step == 1 ? UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt32>.self)
                    : UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt32>.self).evenHalf
            }
            @inline(__always) func rect(_ t: UnsafePointer<UInt32>, _ o: (Int32, Int32, Int32, Int32)) -> Lanes {
                Lanes(SIMD8<Int32>(truncatingIfNeeded: load(t + Int(o.0)) &- load(t + Int(o.1)) &- load(t + Int(o.2)) &+ load(t + Int(o.3))))
            }
            @inline(__always) func value(_ n: UnsafePointer<CompiledNode>, _ t: UnsafePointer<UInt32>) -> Lanes {
                var v = n.pointee.w0 * rect(t, n.pointee.o0) + n.pointee.w1 * rect(t, n.pointee.o1)
                if n.pointee.threeRects { v += n.pointee.w2 * rect(t, n.pointee.o2) }
                return v
            }
            /// Stage `si`'s sum for all eight lanes.
            @inline(__always) func stageTotal(_ si: Int, _ t: UnsafePointer<UInt32>, _ inverseNorm: Lanes) -> Lanes {
                let stage = stages[si]
                var total = Lanes(repeating: 0)
                if !pairTrees {
                    for tree in Int(stage.first)..<Int(stage.end) {
                        let n = nodes + Int(trees[tree].firstNode), l = leaves + Int(trees[tree].firstLeaf)
                        var leaf = Lanes(repeating: l[-Int(n.pointee.right)])
                        leaf.replace(with: l[-Int(n.pointee.left)], where: value(n, t) * inverseNorm .< n.pointee.threshold)
                        total += leaf
                    }
                    return total
                }
                for tree in Int(stage.first)..<Int(stage.end) {
                    let a = nodes + 2 * tree, b = a + 1
                    // Node 0 leads to leaf 0 or to node 1 (its `left` says which way "below" goes);
                    // node 1 leads to leaf 1 (below) or leaf 2.
                    let below0 = value(a, t) * inverseNorm .< a.pointee.threshold
                    let toNode1 = a.pointee.left == 1 ? below0 : .!below0
                    let below1 = value(b, t) * inverseNorm .< b.pointee.threshold
                    let l = leaves + 3 * tree
                    var leaf = Lanes(repeating: l[2])
                    leaf.replace(with: l[1], where: below1)
                    leaf.replace(with: l[0], where: .!toNode1)
                    total += leaf
                }
                return total
            }
            var y = 0
            while y < spanY {
                var x = 0
                while x < spanX {
                    let p = y * s + x
                    let t = sum + p
                    let valsum = SIMD8<Double>(SIMD8<Int32>(truncatingIfNeeded: load(t + n0) &- load(t + n1) &- load(t + n2) &+ load(t + n3)))
                    let q = squares + p
                    let sq = SIMD8<Double>(load(q + n0) &- load(q + n1) &- load(q + n2) &+ load(q + n3))
                    let nf = area * sq - valsum * valsum
                    let varianceBits = bits(nf .> flat)
                    var pass0Bits = 0
                    // (square roots and divisions only where some window has contrast)
                    var inverseNorm = Lanes(repeating: 0)
                    if varianceBits != 0 {
                        inverseNorm = Lanes(1 / nf.squareRoot())
                        let total0 = stageTotal(0, t, inverseNorm)
                        pass0Bits = varianceBits & bits(.!(total0 .< stages[0].threshold))
                    }
                    // The windows the one-at-a-time scan visits (a rejection skips the next one),
                    // up to the end of the row.
                    let walk = Kernel.walks[pass0Bits]
                    let limit = min(8, (spanX - x + step - 1) / step)
                    var active = pass0Bits & Int(walk.visited) & (1 << limit - 1)
                    var si = 1
                    // Eight lanes cost about as much as two single windows: with one live lane,
                    // it goes on alone.
                    while si < stageCount && active.nonzeroBitCount > Self.laneThreshold {
                        let pass = bits(.!(stageTotal(si, t, inverseNorm) .< stages[si].threshold))
                        if active & ~pass != 0 { deepest = max(deepest, si) }
                        active &= pass
                        si += 1
                    }
                    while active != 0 {
                        let lane = active.trailingZeroBitCount
                        active &= active - 1
                        let r = si == stageCount ? 1
                            : run(sum: t + lane * step, tilted: t + lane * step, inverseNorm: inverseNorm[lane], from: si)
                        if r > 0 { hit(x + lane * step, y); deepest = stageCount } else { deepest = max(deepest, -r) }
                    }
                    let k = Int(walk.advance)
                    x += k * step
                }
                y += step
            }
            return deepest
        }

        /// > 0: accepted; otherwise minus the index of the rejecting stage. `sum` and `tilted`
        /// point at the window's top-left corner in their tables.
        @inline(__always)
        func run(sum: UnsafePointer<UInt32>, tilted: UnsafePointer<UInt32>, inverseNorm: Float, from first: Int = 0) -> Int {
            var si = first
            while si < stageCount {
                let stage = stages[si]
                var total: Float = 0
                var t = Int(stage.first)
                let end = Int(stage.end)
                while t < end {
                    if pairTrees {
                        // Both nodes evaluated, the leaf selected without a branch: c0 is 0 (leaf 0)
                        // or 1 (node 1, whose c1 is −1 or −2: leaf 1 or 2).
                        let n0 = nodes + 2 * t, n1 = n0 + 1
                        let c0 = Kernel.value(n0, sum, tilted) * inverseNorm < n0.pointee.threshold ? n0.pointee.left : n0.pointee.right
                        let c1 = Kernel.value(n1, sum, tilted) * inverseNorm < n1.pointee.threshold ? n1.pointee.left : n1.pointee.right
                        total += leaves[3 * t + Int(c0 &* -c1)]
                    } else {
                        let tree = trees[t]
                        var idx: Int32 = 0
                        repeat {
                            let n = nodes + Int(tree.firstNode &+ idx)
                            idx = Kernel.value(n, sum, tilted) * inverseNorm < n.pointee.threshold ? n.pointee.left : n.pointee.right
                        } while idx > 0
                        total += leaves[Int(tree.firstLeaf &- idx)]
                    }
                    t &+= 1
                }
                if total < stage.threshold { return -si }
                si &+= 1
            }
            return 1
        }
    }
}

/// An LBP cascade with each feature's 4×4 grid of block corners as offsets for one stride.
struct LBPPlan {
    var offsets: [Int]  // 16 per feature
    let cascade: Cascade
    let stages: [(threshold: Float, first: Int, count: Int)]

    init(_ c: Cascade, stride s: Int) {
        cascade = c
        offsets = []
        offsets.reserveCapacity(c.lbpFeatures.count * 16)
        for f in c.lbpFeatures {
            for row in 0..<4 {
                for col in 0..<4 { offsets.append((f.y + row * f.height) * s + f.x + col * f.width) }
            }
        }
        stages = c.stages.map { ($0.threshold - Cascade.thresholdEpsilon, $0.firstTree, $0.treeCount) }
    }

    @inline(__always)
    func run(at p: Int, _ S: UnsafeBufferPointer<UInt32>) -> Int {
        offsets.withUnsafeBufferPointer { O in
            cascade.nodes.withUnsafeBufferPointer { N in
                cascade.trees.withUnsafeBufferPointer { TR in
                    cascade.leaves.withUnsafeBufferPointer { L in
                        cascade.subsets.withUnsafeBufferPointer { SUB in
                            @inline(__always) func code(_ f: Int) -> Int {
                                let o = f * 16
                                @inline(__always) func block(_ a: Int) -> Int32 {
                                    // block whose top-left corner is grid point a (4-wide grid)
                                    Int32(bitPattern: S[p + O[o + a]] &- S[p + O[o + a + 1]] &- S[p + O[o + a + 4]] &+ S[p + O[o + a + 5]])
                                }
                                let c = block(5)
                                var v = 0
                                if block(0) >= c { v |= 128 }
                                if block(1) >= c { v |= 64 }
                                if block(2) >= c { v |= 32 }
                                if block(6) >= c { v |= 16 }
                                if block(10) >= c { v |= 8 }
                                if block(9) >= c { v |= 4 }
                                if block(8) >= c { v |= 2 }
                                if block(4) >= c { v |= 1 }
                                return v
                            }
                            for (si, stage) in stages.enumerated() {
                                var total: Float = 0
                                for t in stage.first..<(stage.first + stage.count) {
                                    let tree = TR[t]
                                    var idx: Int32 = 0
                                    repeat {
                                        let node = N[Int(tree.firstNode + idx)]
                                        let c = code(Int(node.feature))
                                        let word = SUB[Int(node.subsetOffset) + (c >> 5)]
                                        idx = (word & (1 << Int32(c & 31))) != 0 ? node.left : node.right
                                    } while idx > 0
                                    total += L[Int(tree.firstLeaf - idx)]
                                }
                                if total < stage.threshold { return -si }
                            }
                            return 1
                        }
                    }
                }
            }
        }
    }
}

/// OpenCV's `groupRectangles`: boxes that agree within `eps` form a class; classes with more than
/// `minNeighbors` members survive, averaged; a small box inside a much better supported one is
/// dropped.
public enum Grouping {
    static func similar(_ a: Box, _ b: Box, eps: Double) -> Bool {
        let delta = eps * Double(min(a.width, b.width) + min(a.height, b.height)) * 0.5
        return Double(abs(a.x - b.x)) <= delta && Double(abs(a.y - b.y)) <= delta
            && Double(abs(a.maxX - b.maxX)) <= delta && Double(abs(a.maxY - b.maxY)) <= delta
    }

    /// `group` with OpenCV's eps (0.2), largest first (ties by position).
    public static func grouped(_ raw: [Box], minNeighbors: Int) -> [Detection] {
        group(raw, minNeighbors: minNeighbors, eps: 0.2)
            .sorted { $0.box.area != $1.box.area ? $0.box.area > $1.box.area : ($0.box.y, $0.box.x) < ($1.box.y, $1.box.x) }
    }

    public static func group(_ boxes: [Box], minNeighbors: Int, eps: Double) -> [Detection] {
        if minNeighbors <= 0 { return boxes.map { Detection(box: $0, neighbors: 1) } }
        // Union-find partition by the similarity predicate.
        var parent = Array(boxes.indices)
        func find(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        for i in boxes.indices {
            for j in (i + 1)..<boxes.count where similar(boxes[i], boxes[j], eps: eps) {
                let a = find(i), b = find(j)
                if a != b { parent[b] = a }
            }
        }
        var sums: [Int: (x: Int, y: Int, w: Int, h: Int, n: Int)] = [:]
        var order: [Int] = []
        for i in boxes.indices {
            let r = find(i), b = boxes[i]
            if sums[r] == nil { order.append(r) }
            let s = sums[r] ?? (0, 0, 0, 0, 0)
            sums[r] = (s.x + b.x, s.y + b.y, s.w + b.width, s.h + b.height, s.n + 1)
        }
        var classes: [Detection] = []
        for r in order {
            let s = sums[r]!
            guard s.n > minNeighbors else { continue }  // as OpenCV: a class needs more than minNeighbors hits
            let n = Double(s.n)
            classes.append(Detection(box: Box(x: Int((Double(s.x) / n).rounded()), y: Int((Double(s.y) / n).rounded()),
                                              width: Int((Double(s.w) / n).rounded()), height: Int((Double(s.h) / n).rounded())),
                                     neighbors: s.n))
        }
        // Drop a class inside another that has clearly more support.
        return classes.enumerated().filter { i, a in
            !classes.enumerated().contains { j, b in
                guard i != j else { return false }
                let dx = Int((Double(b.box.width) * eps).rounded()), dy = Int((Double(b.box.height) * eps).rounded())
                return a.box.x >= b.box.x - dx && a.box.y >= b.box.y - dy && a.box.maxX <= b.box.maxX + dx
                    && a.box.maxY <= b.box.maxY + dy && (b.neighbors > max(3, a.neighbors) || a.neighbors < 3)
            }
        }.map(\.1)
    }
}
