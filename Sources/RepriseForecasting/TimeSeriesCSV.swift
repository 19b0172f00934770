import RepriseDomain

/// A series read from `timestamp,value` rows, one step apart, for backtests.
///
/// Strict on purpose: a backtest on a series with silent holes measures nothing. A header
/// line is allowed; blank lines are skipped. Everything else that is off gets a one-line
/// error naming its row (1-based, counting the header): a row without exactly two fields,
/// a timestamp that is not RFC 3339, a value that is not a finite number, or a row that is
/// not exactly one step after the previous one (gaps are not filled, nor duplicates dropped).
public struct TimeSeriesCSV: Sendable, Equatable {
    public let start: Timestamp
    public let stepMinutes: Int
    public let values: [Double]

    public static func parse(_ text: String, stepMinutes: Int) throws(ForecastError) -> TimeSeriesCSV {
        guard stepMinutes > 0 else { throw ForecastError(code: .invalidParameters, message: "the step must be at least 1 minute") }
        let step = Int64(stepMinutes) * 60_000_000
        var start: Timestamp?
        var previous: Timestamp?
        var values: [Double] = []
        // "\r\n" is one Character in Swift, and a newline: both line ends split here.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let row = index + 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
            guard fields.count == 2 else {
                throw ForecastError(code: .invalidRow, message: "row \(row): expected 2 fields (timestamp,value), found \(fields.count)")
            }
            if row == 1, fields[0].lowercased() == "timestamp" { continue }
            let moment: Timestamp
            do {
                moment = try Timestamp.rfc3339(fields[0])
            } catch {
                throw ForecastError(code: .invalidRow, message: "row \(row): '\(fields[0])' is not an RFC 3339 timestamp such as 2026-11-21T10:00:00Z")
            }
            guard let value = Double(fields[1]), value.isFinite else {
                throw ForecastError(code: .invalidRow, message: "row \(row): '\(fields[1])' is not a number")
            }
            if let previous {
                let gap = moment.microsecondsSinceEpoch - previous.microsecondsSinceEpoch
                guard gap == step else {
                    let minutes = Double(gap) / 60_000_000
                    let shown = minutes == minutes.rounded() ? String(Int64(minutes)) : String(minutes)
                    throw ForecastError(
                        code: .invalidRow,
                        message: "row \(row): \(fields[0]) is \(shown) minutes after the previous row, not \(stepMinutes) (gaps, repeats and disorder are refused)"
                    )
                }
            } else {
                start = moment
            }
            previous = moment
            values.append(value)
        }
        guard let start else { throw ForecastError(code: .notEnoughHistory, message: "the file has no rows") }
        return TimeSeriesCSV(start: start, stepMinutes: stepMinutes, values: values)
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
