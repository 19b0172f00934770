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
}
