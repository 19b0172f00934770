import RepriseDomain

/// The score projection's "now": the latest moment the log has told it about.
///
/// Projections never read the wall clock. Time is the maximum of every event's `recordedAt`
/// and every `clock.ticked` event's `at` seen so far, so it only ever moves forward, and a
/// replay of the same log reaches the same times in the same order.
public struct LogTime: Codable, Hashable, Sendable {
    /// Nil until the first event or tick has been seen.
    public private(set) var now: Timestamp?

    public init(now: Timestamp? = nil) { self.now = now }

    /// Moves time forward to `moment`; a moment at or before `now` changes nothing.
    /// Returns whether time moved, so the caller knows when scores need recomputing.
    @discardableResult
    public mutating func advance(to moment: Timestamp) -> Bool {
        if let now, moment <= now { return false }
        now = moment
        return true
    }
}
