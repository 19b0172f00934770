/// A moment in UTC, in microseconds since the Unix epoch, written `2026-11-21T10:00:00.000000Z`.
///
/// Microseconds match PostgreSQL's `timestamptz`, and the fixed text form keeps event JSON
/// identical on every machine whatever its time zone. Years 0001 to 9999 only, so the text
/// form always has four year digits.
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
        guard let value = Timestamp.parse(Array(text.utf8)) else {
            throw DomainError(
                .invalidValue,
                "timestamp \"\(text)\" is not ISO-8601 UTC of the form 2026-11-21T10:00:00.000000Z"
            )
        }
        self = value
    }

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
    private static func parse(_ b: [UInt8]) -> Timestamp? {
        // Fixed positions: YYYY-MM-DDTHH:MM:SS, then an optional fraction, then Z.
        guard b.count >= 20, b.last == UInt8(ascii: "Z"),
              b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let year = number(b[0..<4]), let month = number(b[5..<7]), let day = number(b[8..<10]),
              let hour = number(b[11..<13]), let minute = number(b[14..<16]), let second = number(b[17..<19])
        else { return nil }
        var micros: Int64 = 0
        if b.count > 20 {
            let fraction = b[19..<(b.count - 1)]
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
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second
        return Timestamp(unchecked: seconds * 1_000_000 + micros)
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
