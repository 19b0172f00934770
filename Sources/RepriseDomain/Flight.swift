/// When a campaign may deliver: from `start` (inclusive) to `end` (exclusive).
public struct Flight: Hashable, Sendable, Codable {
    public var start: Timestamp
    public var end: Timestamp

    public init(start: Timestamp, end: Timestamp) {
        self.start = start
        self.end = end
    }

    public func contains(_ moment: Timestamp) -> Bool { start <= moment && moment < end }

    /// A flight for a decision made at `now` must end after it starts, and not be over yet:
    /// booking or moving a campaign into the past would make it end the moment it begins.
    func check(now: Timestamp) throws(DomainError) {
        guard end > start else {
            throw DomainError(.flightEndNotAfterStart, field: "end", "flight end \(end) is not after its start \(start)")
        }
        guard end > now else {
            throw DomainError(.flightAlreadyOver, field: "end", "flight end \(end) is not after the command's time \(now)")
        }
    }

    /// A flight may not start before the command that sets its start, less the rules' slack:
    /// a start in the past would make the score see a flight nearly over from the first
    /// minute. Flights already in the log are never re-checked, so old ones still replay.
    func checkStart(now: Timestamp, rules: BookingRules) throws(DomainError) {
        guard start.microsecondsSinceEpoch >= rules.earliestFlightStart(now: now) else {
            throw DomainError(
                .flightStartInPast, field: "start",
                "flight start \(start) is before the command's time \(now); at most \(rules.flightStartSlackSeconds) s earlier is allowed"
            )
        }
    }
}
