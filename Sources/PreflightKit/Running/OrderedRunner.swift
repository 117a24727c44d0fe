/// Runs `work` over `0..<count` with at most `width` tasks at once (one finishes, the next
/// starts) and hands results to `emit` in index order, whatever order they finish in.
public func runOrdered<T: Sendable>(
    count: Int, width: Int, work: @escaping @Sendable (Int) async -> T, emit: (Int, T) -> Void
) async {
    await withTaskGroup(of: (Int, T).self) { group in
        var next = 0
        var pending: [Int: T] = [:]
        var emitted = 0
        for _ in 0..<min(max(1, width), count) {
            let i = next
            group.addTask { (i, await work(i)) }
            next += 1
        }
        while let (i, value) = await group.next() {
            pending[i] = value
            while let ready = pending.removeValue(forKey: emitted) {
                emit(emitted, ready)
                emitted += 1
            }
            if next < count {
                let j = next
                group.addTask { (j, await work(j)) }
                next += 1
            }
        }
    }
}
