#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Memory that concurrent decodes may hold at once: decoded pixels, decoder working memory (a
/// progressive JPEG keeps every coefficient) and photo bytes read whole. Each worker reserves what
/// its step will hold before it allocates, and waits while the others hold too much, so a large
/// photo waits instead of multiplying peak memory by `--jobs`.
///
/// Admission is first come, first served (a ticket per request): a large request is not starved
/// by a stream of small ones. A request larger than the whole budget can never be admitted; callers
/// check `fits` first and report the photo instead. A task holds at most one reservation at a
/// time (never waits while holding one), so waiting cannot deadlock.
public final class MemoryBudget: @unchecked Sendable {
    // @unchecked: every mutable field is read and written with `mutex` held.
    /// The most all reservations together may hold, in bytes.
    public let limit: Int
    private var used = 0
    private var nextTicket = 0
    private var serving = 0
    private var peak = 0
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init(limit: Int) {
        self.limit = max(1, limit)
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// The default: 192 MiB. With the program itself (about 30 MB with the face cascades), a run
    /// stays under about 300 MB of resident memory whatever the photos and `--jobs`.
    public static let defaultLimit = 192 << 20

    /// A budget no reservation ever waits for (tests, and library callers that bound memory
    /// themselves).
    public static let unlimited = MemoryBudget(limit: Int.max)

    /// Whether a reservation of `bytes` can ever be admitted.
    public func fits(_ bytes: Int) -> Bool { bytes <= limit }

    /// The most that was held at once so far (for tests and benchmarks).
    public var highWater: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return peak
    }

    /// Runs `body` holding `bytes` of the budget (at most the whole budget), waiting first until
    /// they are free and every earlier request has been admitted.
    public func withReservation<T, E: Error>(_ bytes: Int, _ body: () throws(E) -> T) throws(E) -> T {
        let amount = min(max(0, bytes), limit)
        pthread_mutex_lock(mutex)
        let ticket = nextTicket
        nextTicket += 1
        while serving != ticket || amount > limit - used {
            pthread_cond_wait(condition, mutex)
        }
        serving += 1
        used += amount
        peak = max(peak, used)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
        defer {
            pthread_mutex_lock(mutex)
            used -= amount
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body()
    }
}
