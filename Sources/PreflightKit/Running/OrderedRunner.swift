/// Runs `work` over `0..<count` on at most `width` tasks at once and hands results to `emit` in
/// index order, whatever order they finish in.
///
/// `width == 1` runs inline on the calling task: no threads, no hand-offs. Otherwise each task
/// takes a run of `batch` consecutive indices, so cheap work (a header probe is ~20 µs) is not
/// dominated by the cost of waking a worker thread per file; `batch` defaults to a size that still
/// gives every worker several runs, so one slow file does not hold up the others for long.
public func runOrdered<T: Sendable>(
    count: Int, width: Int, batch: Int? = nil,
    work: @escaping @Sendable (Int) -> T, emit: (Int, T) -> Void
) async {
    guard count > 0 else { return }
    // More tasks than items would only idle; the bound also keeps `width * 8` from overflowing.
    let width = min(max(1, width), count)
    if width == 1 {
        for i in 0..<count { emit(i, work(i)) }
        return
    }
    let batch = max(1, batch ?? min(16, count / (width * 8)))
    let batches = (count + batch - 1) / batch
    await withTaskGroup(of: (Int, [T]).self) { group in
        var next = 0
        func start() {
            let b = next
            next += 1
            group.addTask {
                let range = (b * batch)..<min(count, (b + 1) * batch)
                return (b, range.map(work))
            }
        }
        var pending: [Int: [T]] = [:]
        var emittedBatches = 0
        for _ in 0..<min(width, batches) { start() }
        while let (b, values) = await group.next() {
            pending[b] = values
            while let ready = pending.removeValue(forKey: emittedBatches) {
                for (k, value) in ready.enumerated() { emit(emittedBatches * batch + k, value) }
                emittedBatches += 1
            }
            if next < batches { start() }
        }
    }
}
