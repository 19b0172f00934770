import Foundation

/// `timestamptz` text in ISO style, both ways, with whole microseconds as the common unit.
///
/// Calendar arithmetic is done here rather than with `DateFormatter`: formatters stop at
/// microseconds only sometimes, differ between platforms before 1582, and cost far more per value.
/// Both sides use the proleptic Gregorian calendar, as PostgreSQL does.
enum PostgresTimestamp {
    private static let microsPerSecond: Int64 = 1_000_000
    private static let microsPerDay: Int64 = 86_400 * microsPerSecond
    /// 2001-01-01 (Foundation's reference date) in microseconds after 1970-01-01.
    private static let referenceDateMicros: Int64 = 978_307_200 * microsPerSecond
    /// PostgreSQL's own limits are narrower (4713 BC to 294276 AD); the server reports those.
    private static let maxMicros: Double = 9e18

    /// `2024-03-05 12:34:56.123456+00`, or `… BC` before year 1: the latest microsecond not
    /// after `date`, the rule `RepriseDomain.Timestamp(atOrBefore:)` also follows.
    static func format(_ date: Date) -> String? {
        let given = date.timeIntervalSinceReferenceDate
        let sinceReference = (given * Double(microsPerSecond)).rounded()
        guard sinceReference.isFinite, abs(sinceReference) < maxMicros - Double(referenceDateMicros) else { return nil }
        // The nearest microsecond, one back if its Double is later: a date made from whole
        // microseconds comes back exactly, any other is rounded toward negative infinity.
        var nearest = Int64(sinceReference)
        if Double(nearest) / Double(microsPerSecond) > given { nearest -= 1 }
        let micros = nearest + referenceDateMicros

        let (days, microsOfDay) = floorDivision(micros, microsPerDay)
        let (year, month, day) = civilDate(daysSince1970: days)
        let seconds = microsOfDay / microsPerSecond
        let fraction = microsOfDay % microsPerSecond

        var text = year > 0 ? pad(year, 4) : pad(1 - year, 4)
        text += "-" + pad(month, 2) + "-" + pad(day, 2)
        text += " " + pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
        text += "." + pad(fraction, 6) + "+00"
        if year <= 0 { text += " BC" }
        return text
    }

    /// Parses the server's output for `timestamptz` with `DateStyle=ISO` (pinned at connect).
    static func parse(_ text: String) -> Date? {
        var scanner = ASCIIScanner(text.utf8)
        guard var year = scanner.number(minDigits: 4, maxDigits: 9), scanner.skip("-"),
              let month = scanner.number(digits: 2), scanner.skip("-"),
              let day = scanner.number(digits: 2), scanner.skip(" "),
              let hour = scanner.number(digits: 2), scanner.skip(":"),
              let minute = scanner.number(digits: 2), scanner.skip(":"),
              let second = scanner.number(digits: 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }

        var fraction: Int64 = 0
        if scanner.skip(".") {
            var digits = 0
            while let digit = scanner.digit() {
                guard digits < 6 else { return nil }
                fraction = fraction * 10 + digit
                digits += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<6 { fraction *= 10 }
        }

        // Offsets come as +HH, +HH:MM or +HH:MM:SS (local mean time before 1900 has seconds).
        let sign: Int64
        if scanner.skip("+") { sign = 1 } else if scanner.skip("-") { sign = -1 } else { return nil }
        guard let offsetHours = scanner.number(digits: 2) else { return nil }
        var offsetSeconds = offsetHours * 3600
        if scanner.skip(":") {
            guard let minutes = scanner.number(digits: 2) else { return nil }
            offsetSeconds += minutes * 60
            if scanner.skip(":") {
                guard let seconds = scanner.number(digits: 2) else { return nil }
                offsetSeconds += seconds
            }
        }

        if scanner.skip(" BC") { year = 1 - year }
        guard scanner.isAtEnd else { return nil }

        let days = daysSince1970(year: year, month: month, day: day)
        let localSeconds = days * 86_400 + hour * 3600 + minute * 60 + second
        let micros = (localSeconds - sign * offsetSeconds) * microsPerSecond + fraction
        // Integer subtraction first, then one rounding in the division: exact for today's dates.
        return Date(timeIntervalSinceReferenceDate: Double(micros - referenceDateMicros) / Double(microsPerSecond))
    }

    /// A binary `timestamptz` (microseconds since 2000-01-01 UTC) as a `Date`, rounded as `parse` rounds.
    static func date(microsecondsSince2000 micros: Int64) -> Date {
        // 2000-01-01 is 366 days before Foundation's reference date.
        let (sinceReference, overflow) = micros.subtractingReportingOverflow(366 * microsPerDay)
        let value = overflow ? Double(micros) - Double(366 * microsPerDay) : Double(sinceReference)
        return Date(timeIntervalSinceReferenceDate: value / Double(microsPerSecond))
    }

    // Howard Hinnant's days_from_civil and civil_from_days, http://howardhinnant.github.io/date_algorithms.html
    private static func daysSince1970(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var quotient = value / divisor
        if value % divisor < 0 { quotient -= 1 }
        return (quotient, value - quotient * divisor)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Just enough of a scanner for fixed-layout ASCII.
    private struct ASCIIScanner {
        private let bytes: [UInt8]
        private var position = 0

        init(_ utf8: String.UTF8View) {
            bytes = Array(utf8)
        }

        var isAtEnd: Bool { position == bytes.count }

        mutating func skip(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard bytes.count - position >= count else { return false }
            for offset in 0..<count where bytes[position + offset] != literal.utf8Start[offset] {
                return false
            }
            position += count
            return true
        }

        mutating func digit() -> Int64? {
            guard position < bytes.count, (0x30...0x39).contains(bytes[position]) else { return nil }
            defer { position += 1 }
            return Int64(bytes[position] - 0x30)
        }

        mutating func number(digits: Int) -> Int64? {
            number(minDigits: digits, maxDigits: digits)
        }

        mutating func number(minDigits: Int, maxDigits: Int) -> Int64? {
            var value: Int64 = 0
            var count = 0
            while count < maxDigits, let digit = digit() {
                value = value * 10 + digit
                count += 1
            }
            return count >= minDigits ? value : nil
        }
    }
}
