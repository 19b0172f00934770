import Synchronization

/// Lets one task at a time work on a key; the others wait their turn, first come first served.
///
/// Commands for one campaign arriving at one process at once would otherwise all load the
/// same version, and all but one lose the append and start over, again and again. Queueing
/// them here leaves the event store's optimistic check for writers in other processes.
public final class KeyedLock: Sendable {
    /// A key is present while it is held; its array holds the tasks waiting for it.
    private let waiters = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    public init() {}

    public func withLock<R>(_ key: String, _ body: () async throws -> R) async rethrows -> R {
        await acquire(key)
        do {
            let result = try await body()
            release(key)
            return result
        } catch {
            release(key)
            throw error
        }
    }

    private func acquire(_ key: String) async {
        let acquired = waiters.withLock { waiters in
            guard waiters[key] == nil else { return false }
            waiters[key] = []
            return true
        }
        guard !acquired else { return }
        await withCheckedContinuation { continuation in
            let granted = waiters.withLock { waiters in
                if waiters[key] == nil {
                    waiters[key] = []
                    return true
                }
                waiters[key]!.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    private func release(_ key: String) {
        let next = waiters.withLock { waiters -> CheckedContinuation<Void, Never>? in
            guard var queue = waiters[key], !queue.isEmpty else {
                waiters[key] = nil
                return nil
            }
            let next = queue.removeFirst()
            waiters[key] = queue
            return next
        }
        next?.resume()
    }
}
