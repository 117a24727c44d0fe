/// The buffers one thread runs a `NetworkPlan` in: allocated once, reused for every image of the
/// plan's size (no allocation per image).
// @unchecked Sendable: a workspace is mutable and used by one thread at a time; `YuNet` hands
// each out from a locked pool to one caller and takes it back when the run is over.
public final class Workspace: @unchecked Sendable {
    public private(set) var plan: NetworkPlan
    private var slots: [UnsafeMutablePointer<Float>] = []
    private var capacities: [Int] = []
    private var scratch: UnsafeMutablePointer<Float>
    private var scratchCapacity = 0

    public init(_ plan: NetworkPlan) {
        self.plan = plan
        scratch = .allocate(capacity: 1)
        scratchCapacity = 1
        prepare(for: plan)
    }

    /// Makes the workspace run `plan`: buffers are kept and grown only where `plan` needs more,
    /// so one workspace serves every input size (a worker holds one, sized for the largest).
    public func prepare(for plan: NetworkPlan) {
        self.plan = plan
        for (i, n) in plan.slotSizes.enumerated() {
            let need = max(1, n)
            if i < slots.count {
                guard capacities[i] < need else { continue }
                slots[i].deallocate()
                slots[i] = .allocate(capacity: need)
                capacities[i] = need
            } else {
                slots.append(.allocate(capacity: need))
                capacities.append(need)
            }
            slots[i].initialize(repeating: 0, count: need)
        }
        var need = 1
        for op in plan.ops {
            switch op {
            case .depthwise3(_, _, _, _, _, let h, let w, _): need = max(need, (h + 2) * (w + 2))
            case .dense(_, _, _, _, let ci, _, _, _, _, let ow, let k, _, _, _, _): need = max(need, ci * k * k * ((ow + 7) / 8 * 8))
            default: break
            }
        }
        if need > scratchCapacity {
            scratch.deallocate()
            scratch = .allocate(capacity: need)
            scratch.initialize(repeating: 0, count: need)
            scratchCapacity = need
        }
    }

    deinit {
        for p in slots { p.deallocate() }
        scratch.deallocate()
    }

    /// Bytes held (for memory accounting).
    public var byteCount: Int { (capacities.reduce(0, +) + scratchCapacity) * 4 }

    /// The input tensor to fill (NCHW, `plan.inputShape`).
    public var input: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: slots[plan.inputSlot], count: plan.inputShape.reduce(1, *))
    }

    /// A graph output after `run()`.
    public func output(_ name: String) -> UnsafeBufferPointer<Float>? {
        guard let o = plan.outputSlots[name] else { return nil }
        return UnsafeBufferPointer(start: slots[o.slot], count: o.shape.reduce(1, *))
    }

    /// Runs every operation on the current input.
    public func run() { run(kernels: .current) }

    func run(kernels k: KernelTable) {
        for op in plan.ops {
            switch op {
            case let .pointwise(i, o, w, b, ci, co, n, relu):
                w.withUnsafeBufferPointer { w in
                    b.withUnsafeBufferPointer { b in k.pointwise(slots[i], slots[o], w.baseAddress!, b.baseAddress!, ci, co, n, relu) }
                }
            case let .depthwise3(i, o, w, b, c, h, wd, relu):
                w.withUnsafeBufferPointer { w in
                    b.withUnsafeBufferPointer { b in k.depthwise3(slots[i], slots[o], w.baseAddress!, b.baseAddress!, c, h, wd, relu, scratch) }
                }
            case let .dense(i, o, w, b, ci, co, h, wd, oh, ow, kk, s, pt, pl, relu):
                w.withUnsafeBufferPointer { w in
                    b.withUnsafeBufferPointer { b in
                        k.dense(slots[i], slots[o], w.baseAddress!, b.baseAddress!, ci, co, h, wd, oh, ow, kk, s, pt, pl, relu, scratch)
                    }
                }
            case let .maxPool(i, o, c, h, w, oh, ow, kk, s):
                k.maxPool(slots[i], slots[o], c, h, w, oh, ow, kk, s)
            case let .upsample(i, o, c, h, w, fy, fx):
                k.upsample(slots[i], slots[o], c, h, w, fy, fx)
            case let .add(a, b, o, n, relu):
                k.add(slots[a], slots[b], slots[o], n, relu)
            case let .relu(i, o, n):
                for q in 0..<n { slots[o][q] = max(0, slots[i][q]) }
            case let .sigmoid(i, o, n):
                k.sigmoid(slots[i], slots[o], n)
            case let .transpose(i, o, shape, perm):
                k.transpose(slots[i], slots[o], shape, perm)
            case let .copy(i, o, n):
                slots[o].update(from: slots[i], count: n)
            }
        }
    }
}
