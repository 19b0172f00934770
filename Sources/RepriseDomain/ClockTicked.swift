import Foundation

/// The log's clock reached `at`. `clock.ticked` v1, in stream `clock-utc`.
///
/// Projections never read the wall clock, so time enters the log as events: a ticker appends
/// one tick a minute, and a projection's "now" is the latest time the log has told it
/// (see the scoring module's `LogTime`). Tickers floor their reading to the minute and
/// append under `commandID`, so two tickers ticking the same minute append it once.
public struct ClockTicked: Codable, Hashable, Sendable {
    public static let eventType = "clock.ticked"
    public static let schemaVersion = 1
    /// The one stream every tick is appended to.
    public static let streamID = "clock-utc"

    public var at: Timestamp

    public init(at: Timestamp) { self.at = at }

    /// The tick for the minute that contains `moment`: `moment` floored to a whole minute.
    public init(minuteContaining moment: Timestamp) {
        let micros = moment.microsecondsSinceEpoch
        let remainder = micros % ClockTicked.microsecondsPerMinute
        let floored = micros - (remainder < 0 ? remainder + ClockTicked.microsecondsPerMinute : remainder)
        do {
            at = try Timestamp(microsecondsSinceEpoch: floored)
        } catch {
            // Timestamp.earliest is a whole minute, so flooring never leaves the valid range.
            preconditionFailure("a minute floor left the timestamp range: \(error)")
        }
    }

    private static let microsecondsPerMinute: Int64 = 60_000_000

    /// The idempotency key of the append: the same tick from any ticker is the same command.
    public var commandID: String { "clock-tick-" + at.iso8601 }

    /// The stored form, as `EventCodec.encode` gives it for campaign events: sorted keys, compact.
    public static func encode(_ tick: ClockTicked) -> (type: String, schemaVersion: Int, data: [UInt8]) {
        (eventType, schemaVersion, EventCodec.encodeJSON(tick))
    }

    /// A stored tick read back; anything but `clock.ticked` v1 with a valid `at` is refused.
    public static func decode(type: String, schemaVersion: Int, data: [UInt8]) throws(EventCodecError) -> ClockTicked {
        guard type == eventType else {
            throw EventCodecError(.unknownType, type: type, schemaVersion: schemaVersion, "\"\(type)\" is not \(eventType)")
        }
        guard schemaVersion == ClockTicked.schemaVersion else {
            throw EventCodecError(
                .unknownSchemaVersion, type: type, schemaVersion: schemaVersion,
                "\(type) has no schema version \(schemaVersion); the current one is \(ClockTicked.schemaVersion)"
            )
        }
        do {
            return try JSONDecoder().decode(ClockTicked.self, from: Data(data))
        } catch {
            throw EventCodecError(.malformedData, type: type, schemaVersion: schemaVersion, EventCodec.describe(error))
        }
    }
}
