import Synchronization

/// A doorbell between a producer of wake-ups (notifications) and one waiting loop.
///
/// A ring that arrives while nobody waits is remembered (as one), so a loop that was busy
/// goes round once more instead of missing work. `wait(timeout:)` returns on a ring, on
/// the timeout or on cancellation, whichever is first, and says whether it was rung.
public final class WakeSignal: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Bool, Never>?
        /// Identifies the current wait, so a late timeout cannot end a later wait.
        var waitID = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.rung = true
            return nil
        }
        waiter?.resume(returning: true)
    }

    /// True when rung (now or since the last wait), false on timeout or cancellation.
    @discardableResult
    public func wait(timeout: Duration) async -> Bool {
        let id: Int? = state.withLock { state in
            if state.rung {
                state.rung = false
                return nil
            }
            state.waitID += 1
            return state.waitID
        }
        guard let id else { return true }
        return await withTaskGroup(of: Void.self, returning: Bool.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.endWait(id)
            }
            let rung = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    let outcome = state.withLock { state -> Bool? in
                        if state.rung {
                            state.rung = false
                            return true
                        }
                        guard state.waitID == id, !Task.isCancelled else { return false }
                        state.waiter = continuation
                        return nil
                    }
                    if let outcome { continuation.resume(returning: outcome) }
                }
            } onCancel: {
                self.endWait(id)
            }
            group.cancelAll()
            return rung
        }
    }

    /// Ends wait `id` unrung, if it is still the one waiting (its timeout or cancellation).
    private func endWait(_ id: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard state.waitID == id else { return nil }
            state.waitID += 1
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: false)
    }
}
