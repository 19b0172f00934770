import Synchronization

/// Runs `operation` until it returns, starting it over after each failure with the waits of
/// `policy`.
///
/// - Returns: what `operation` returned, or nil when the task was cancelled first (before an
///   attempt, or while a failed attempt or its wait was under way): cancellation is how a
///   service is told to stop, so it ends the loop without an error.
/// - Throws: an error `isFatal` picks, at once and even when cancelled (it means "going on
///   would be wrong", e.g. a stream that contradicts the log); `RestartError` with code
///   `gaveUp` after `policy.maxFailures` consecutive failures.
///
/// Consecutive failures, which set the wait, count from the last progress: `operation`
/// calls `progress.record()` whenever it has done useful work (a committed batch, a verified
/// stream tail), and the next failure then waits only `policy.initialDelay` again. Progress
/// rather than the attempt's duration decides, because a long attempt can be a long hang: a
/// connection that takes a minute to time out and fail has not been healthy for a minute.
///
/// `sleep` waits between attempts; tests pass one that records the waits and returns at once.
public func withRestarts<Result>(
    policy: RestartPolicy,
    isFatal: (any Error) -> Bool = { _ in false },
    onFailure: (RestartFailure) -> Void = { _ in },
    sleep: (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
    operation: (RestartProgress) async throws -> Result
) async throws -> Result? {
    let progress = RestartProgress()
    var failures = 0
    while !Task.isCancelled {
        do {
            return try await operation(progress)
        } catch {
            if isFatal(error) { throw error }
            if Task.isCancelled { return nil }
            failures = progress.take() ? 1 : failures + 1
            if let limit = policy.maxFailures, failures >= limit {
                throw RestartError(code: .gaveUp, failures: failures, lastError: error)
            }
            let delay = policy.delay(afterFailures: failures)
            onFailure(RestartFailure(error: error, failures: failures, delay: delay))
            // A wait cut short (cancellation) ends the loop at the check above.
            try? await sleep(delay)
        }
    }
    return nil
}

/// Where an operation under `withRestarts` reports that it is doing useful work.
public final class RestartProgress: Sendable {
    private let madeProgress = Atomic(false)

    public init() {}

    /// The operation did useful work: the next failure starts the backoff from the beginning.
    public func record() {
        madeProgress.store(true, ordering: .relaxed)
    }

    /// Whether progress was recorded since the last call, clearing it.
    func take() -> Bool {
        madeProgress.exchange(false, ordering: .relaxed)
    }
}

/// One failed attempt, as `onFailure` sees it before the wait.
public struct RestartFailure: Sendable {
    public let error: any Error
    /// Consecutive failures since the last progress, this one included.
    public let failures: Int
    /// How long the loop waits before the next attempt.
    public let delay: Duration
}

/// Why `withRestarts` stopped trying.
public struct RestartError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// `policy.maxFailures` consecutive attempts failed.
        public static let gaveUp = Code(rawValue: "gave_up")
    }

    public let code: Code
    public let failures: Int
    /// The last attempt's error.
    public let lastError: any Error

    public var description: String { "restart \(code) after \(failures) failures: \(lastError)" }
}
