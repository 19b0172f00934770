import Foundation

/// A market's public holiday, known ahead: `[from, to)` in UTC (the market's local day).
/// `calendar.holiday-declared` v1, in the market's calendar stream `calendar-<market>`.
///
/// Supply forecasting learns nothing from a holiday's hours but how far they stray from an
/// ordinary day, and moves the holiday hours it forecasts by that much. Declaring the same
/// holiday again is a no-op; another declaration starting at the same moment is refused.
public struct HolidayDeclared: Codable, Hashable, Sendable {
    public static let eventType = "calendar.holiday-declared"
    public static let schemaVersion = 1
    /// The longest a holiday may last: two days.
    public static let longest: Int64 = 48 * 3_600_000_000

    public var market: Market
    public var from: Timestamp
    public var to: Timestamp
    public var name: String

    public init(market: Market, from: Timestamp, to: Timestamp, name: String) {
        self.market = market
        self.from = from
        self.to = to
        self.name = name
    }

    /// The stream of a market's calendar.
    public static func streamID(market: Market) -> String { "calendar-\(market.rawValue)" }

    public var streamID: String { HolidayDeclared.streamID(market: market) }

    /// Whether `moment` falls in the holiday.
    public func contains(_ moment: Timestamp) -> Bool { from <= moment && moment < to }

    /// Checks the declaration; field paths are those of the body as sent.
    public func checked() throws(DomainError) -> HolidayDeclared {
        guard Catalog.markets.contains(market) else {
            throw DomainError(.unknownMarket, field: "market", "market \"\(market)\" is not in the catalog")
        }
        guard to > from else {
            throw DomainError(.intervalEndNotAfterStart, field: "to", "holiday end \(to) is not after its start \(from)")
        }
        guard to.microsecondsSinceEpoch - from.microsecondsSinceEpoch <= HolidayDeclared.longest else {
            throw DomainError(.invalidValue, field: "to", "a holiday lasts at most 48 hours")
        }
        // Counted in Unicode scalars, as JSON Schema's maxLength counts.
        guard (1...200).contains(name.unicodeScalars.count) else {
            throw DomainError(.invalidValue, field: "name", "a holiday's name is 1 to 200 characters")
        }
        return self
    }

    /// The events a declaration appends given the market's calendar so far: itself, none
    /// when the same holiday is declared already, a refusal when another starts at `from`.
    public static func decide(_ declaration: HolidayDeclared, calendar: [HolidayDeclared]) throws(DomainError) -> [HolidayDeclared] {
        let checked = try declaration.checked()
        guard let existing = calendar.first(where: { $0.from == checked.from }) else { return [checked] }
        guard existing == checked else {
            throw DomainError(.holidayConflict, field: "from", "\(checked.market) has another holiday starting at \(checked.from)")
        }
        return []
    }

    /// The stored form, as `EventCodec.encode` gives it for campaign events: sorted keys, compact.
    public static func encode(_ event: HolidayDeclared) -> (type: String, schemaVersion: Int, data: [UInt8]) {
        (eventType, schemaVersion, EventCodec.encodeJSON(event))
    }

    /// A stored declaration read back; older versions go through `EventUpcaster`.
    public static func decode(type: String, schemaVersion: Int, data: [UInt8]) throws(EventCodecError) -> HolidayDeclared {
        guard type == eventType else {
            throw EventCodecError(.unknownType, type: type, schemaVersion: schemaVersion, "\"\(type)\" is not \(eventType)")
        }
        let current = try EventUpcaster.upcast(type: type, schemaVersion: schemaVersion, data: data, to: HolidayDeclared.schemaVersion)
        do {
            return try JSONDecoder().decode(HolidayDeclared.self, from: Data(current))
        } catch {
            throw EventCodecError(.malformedData, type: type, schemaVersion: schemaVersion, EventCodec.describe(error))
        }
    }
}
