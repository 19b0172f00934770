/// How long a loop waits before it starts over after a failure, and when it gives up.
///
/// The delay grows geometrically from `initialDelay` by `factor` per consecutive failure, up
/// to `maxDelay`. There is no jitter: a restart schedule that tests can state exactly is worth
/// more here than spreading the load of a handful of services over time.
public struct RestartPolicy: Sendable, Hashable {
    /// The wait after the first failure.
    public var initialDelay: Duration
    /// Each further consecutive failure multiplies the wait by this; 1 keeps it constant.
    public var factor: Int
    /// The wait never grows past this.
    public var maxDelay: Duration
    /// Consecutive failures after which `withRestarts` gives up; nil: never.
    public var maxFailures: Int?

    public init(initialDelay: Duration, factor: Int = 2, maxDelay: Duration, maxFailures: Int? = nil) {
        precondition(initialDelay >= .zero && factor >= 1 && maxDelay >= initialDelay, "a restart delay must not shrink")
        precondition(maxFailures.map { $0 >= 1 } ?? true, "give up after at least one failure")
        self.initialDelay = initialDelay
        self.factor = factor
        self.maxDelay = maxDelay
        self.maxFailures = maxFailures
    }

    /// The services' policy (relay, projectors): 100 ms, doubling, at most 5 s. Quick enough
    /// that a server restart costs little, slow enough that a server that stays down is not
    /// hammered.
    public static let services = RestartPolicy(initialDelay: .milliseconds(100), factor: 2, maxDelay: .seconds(5))

    /// The wait after the `failures`-th consecutive failure (1 for the first).
    public func delay(afterFailures failures: Int) -> Duration {
        var delay = initialDelay
        var step = 1
        // Multiplied step by step, so a long outage cannot overflow the duration.
        while step < failures, delay < maxDelay {
            delay *= factor
            step += 1
        }
        return min(delay, maxDelay)
    }
}
