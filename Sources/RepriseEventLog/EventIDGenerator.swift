import Foundation

/// Makes time-sortable event ids (UUID version 7, RFC 9562): 48 bits of Unix milliseconds,
/// then random bits. Used where commands are handled, never inside a projection.
public struct EventIDGenerator: Sendable {
    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    public func next() -> UUID {
        var generator = SystemRandomNumberGenerator()
        return Self.make(milliseconds: UInt64(max(0, now().timeIntervalSince1970 * 1000)), using: &generator)
    }

    public static func make(milliseconds: UInt64, using generator: inout some RandomNumberGenerator) -> UUID {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for index in 0..<6 {
            bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index)))
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // RFC 9562 variant
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
    }
}
