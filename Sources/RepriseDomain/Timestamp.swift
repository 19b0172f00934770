import Foundation

/// A moment in UTC, in microseconds since the Unix epoch, written `2026-11-21T10:00:00.000000Z`.
///
/// Microseconds match PostgreSQL's `timestamptz`, and the fixed text form keeps event JSON
/// identical on every machine whatever its time zone. Years 0001 to 9999 only, so the text
/// form always has four year digits.
///
/// This is the one place where Reprise turns text and `Date`s into moments:
/// - Text is RFC 3339 with one to six fraction digits. `init(_:)`, for commands and events,
///   takes only `Z`; `rfc3339(_:)`, for what operators type, also takes a numeric offset
///   (`+01:00`). No other format is accepted, so a moment reads the same everywhere.
/// - A `Date` becomes the latest microsecond not after it (`init(atOrBefore:)`): rounded toward
///   negative infinity, so a stamp of now is never in the future, and `Timestamp(atOrBefore: t.date)`
///   is `t` again.
///
/// The `Postgres` wrapper converts `Date`s to and from `timestamptz` text on its own, as it
/// depends on none of Reprise's modules.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let microsecondsSinceEpoch: Int64

    /// 0001-01-01T00:00:00.000000Z.
    public static let earliest = Timestamp(unchecked: -62_135_596_800_000_000)
    /// 9999-12-31T23:59:59.999999Z.
    public static let latest = Timestamp(unchecked: 253_402_300_799_999_999)

    public init(microsecondsSinceEpoch: Int64) throws(DomainError) {
        guard (Timestamp.earliest.microsecondsSinceEpoch...Timestamp.latest.microsecondsSinceEpoch)
            .contains(microsecondsSinceEpoch)
        else {
            throw DomainError(.invalidValue, "timestamp \(microsecondsSinceEpoch) µs is outside years 0001 to 9999")
        }
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z`; the offset must be `Z`, as everything here is UTC.
    public init(_ text: String) throws(DomainError) {
        guard let value = Timestamp.parse(Array(text.utf8), offsets: false) else {
            throw DomainError(
                .invalidValue,
                "timestamp \"\(text)\" is not ISO-8601 UTC of the form 2026-11-21T10:00:00.000000Z"
            )
        }
        self = value
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,6}]` followed by `Z` or an offset `±HH:MM`.
    /// A function rather than an initialiser, so that `Timestamp.init` stays `init(_:)`.
    public static func rfc3339(_ text: String) throws(DomainError) -> Timestamp {
        guard let value = Timestamp.parse(Array(text.utf8), offsets: true) else {
            throw DomainError(
                .invalidValue,
                "timestamp \"\(text)\" is not RFC 3339 of the form 2026-11-21T10:00:00.000000Z or 2026-11-21T11:00:00+01:00"
            )
        }
        return value
    }

    /// The latest microsecond not after `date`.
    public init(atOrBefore date: Date) throws(DomainError) {
        // A `Date` holds seconds since 2001 as a Double, which does not hold every
        // microsecond exactly: take the nearest, then step back if its `Date` is later, so
        // that `Timestamp(atOrBefore: t.date) == t`. Never through `timeIntervalSince1970`,
        // whose addition rounds once more.
        let seconds = date.timeIntervalSinceReferenceDate
        let nearest = (seconds * 1_000_000).rounded()
        // The errors name seconds, not `\(date)`: Date's description traps on dates this far out.
        guard nearest.isFinite, abs(nearest) < 9e18 else {
            throw DomainError(.invalidValue, "a date \(seconds) s from 2001 is outside years 0001 to 9999")
        }
        var sinceReference = Int64(nearest)
        if Double(sinceReference) / 1_000_000 > seconds { sinceReference -= 1 }
        let (micros, overflow) = sinceReference.addingReportingOverflow(Timestamp.referenceDateMicros)
        guard !overflow else { throw DomainError(.invalidValue, "a date \(seconds) s from 2001 is outside years 0001 to 9999") }
        try self.init(microsecondsSinceEpoch: micros)
    }

    /// The moment as a `Date`, to the nearest value a Double holds.
    public var date: Date { Timestamp.date(microsecondsSinceEpoch: microsecondsSinceEpoch) }

    /// Microseconds since the epoch as a `Date` (the stored times of the log), rounded once.
    public static func date(microsecondsSinceEpoch micros: Int64) -> Date {
        Date(timeIntervalSinceReferenceDate: Double(micros &- referenceDateMicros) / 1_000_000)
    }

    /// 2001-01-01, Foundation's reference date, in microseconds after 1970-01-01.
    private static let referenceDateMicros: Int64 = 978_307_200_000_000

    private init(unchecked microseconds: Int64) { self.microsecondsSinceEpoch = microseconds }

    public var iso8601: String {
        let (days, microsOfDay) = Timestamp.floorDivide(microsecondsSinceEpoch, 86_400_000_000)
        let (year, month, day) = Timestamp.civil(fromDays: days)
        let seconds = microsOfDay / 1_000_000
        return Timestamp.pad(year, 4) + "-" + Timestamp.pad(month, 2) + "-" + Timestamp.pad(day, 2)
            + "T" + Timestamp.pad(seconds / 3600, 2) + ":" + Timestamp.pad(seconds / 60 % 60, 2)
            + ":" + Timestamp.pad(seconds % 60, 2) + "." + Timestamp.pad(microsOfDay % 1_000_000, 6) + "Z"
    }

    public var description: String { iso8601 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    public init(from decoder: any Decoder) throws {
        self = try decoder.decodeCheckedString { text throws(DomainError) in try Timestamp(text) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }
}

extension Timestamp {
    private static func parse(_ text: [UInt8], offsets: Bool) -> Timestamp? {
        // The zone last: Z, or with `offsets` ±HH:MM, which is taken off the local time.
        var b = text[...]
        var offsetSeconds: Int64 = 0
        if b.last == UInt8(ascii: "Z") {
            b = b.dropLast()
        } else if offsets, b.count >= 6 {
            let zone = b.suffix(6)
            let sign = zone[zone.startIndex]
            guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), zone[zone.startIndex + 3] == UInt8(ascii: ":"),
                  let hours = number(zone.dropFirst().prefix(2)), let minutes = number(zone.suffix(2)),
                  hours < 24, minutes < 60
            else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
            b = b.dropLast(6)
        } else {
            return nil
        }
        // Fixed positions (the slice starts at 0): YYYY-MM-DDTHH:MM:SS, then an optional fraction.
        guard b.count >= 19,
              b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let year = number(b[0..<4]), let month = number(b[5..<7]), let day = number(b[8..<10]),
              let hour = number(b[11..<13]), let minute = number(b[14..<16]), let second = number(b[17..<19])
        else { return nil }
        var micros: Int64 = 0
        if b.count > 19 {
            let fraction = b[19...]
            guard fraction.first == UInt8(ascii: "."), (2...7).contains(fraction.count),
                  let digits = number(fraction.dropFirst())
            else { return nil }
            micros = digits
            for _ in fraction.count..<7 { micros *= 10 }
        }
        guard year >= 1, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60
        else { return nil }
        let days = self.days(fromYear: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return try? Timestamp(microsecondsSinceEpoch: seconds * 1_000_000 + micros)
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int64? {
        var value: Int64 = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return digits.isEmpty ? nil : value
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil and civil_from_days (proleptic Gregorian calendar).
    private static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400).quotient
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097).quotient
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
