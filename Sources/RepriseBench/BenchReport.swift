import Foundation
import RepriseRuntime

/// One measured figure: how many operations, how long, and the rate.
public struct BenchResult: Sendable, Codable, Equatable {
    public let name: String
    /// What one operation is: "row", "message", "append".
    public let unit: String
    public let operations: Int
    public let seconds: Double
    public let ratePerSecond: Double
    /// Per-operation latency percentiles in milliseconds, where single operations were timed.
    public let latencyMilliseconds: LatencyPercentiles?
    /// The `name` of the raw driver figure this one is compared to, measured in the same run.
    public let baseline: String?
    /// `ratePerSecond` divided by the baseline's rate.
    public let ratioToBaseline: Double?

    public init(
        name: String, unit: String, operations: Int, seconds: Double,
        latencies: [Duration]? = nil, baseline: BenchResult? = nil
    ) {
        self.name = name
        self.unit = unit
        self.operations = operations
        self.seconds = seconds
        let rate = seconds > 0 ? Double(operations) / seconds : 0
        self.ratePerSecond = rate
        self.latencyMilliseconds = latencies.flatMap(LatencyPercentiles.init)
        self.baseline = baseline?.name
        self.ratioToBaseline = baseline.map { $0.ratePerSecond > 0 ? rate / $0.ratePerSecond : 0 }
    }
}

/// p50, p99 and p999 of a set of latencies, in milliseconds.
public struct LatencyPercentiles: Sendable, Codable, Equatable {
    public let p50: Double
    public let p99: Double
    public let p999: Double

    init?(_ latencies: [Duration]) {
        guard !latencies.isEmpty else { return nil }
        let sorted = latencies.map(\.milliseconds).sorted()
        func percentile(_ p: Double) -> Double {
            sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        p50 = percentile(0.50)
        p99 = percentile(0.99)
        p999 = percentile(0.999)
    }
}

/// The figures of one `reprise bench` command, for people (`table`) and tools (`json`).
public struct BenchReport: Sendable, Codable {
    public let benchmark: String
    public let cores: Int
    public let recordedAt: Date
    public let results: [BenchResult]

    public init(benchmark: String, results: [BenchResult], recordedAt: Date = Date()) {
        self.benchmark = benchmark
        self.cores = ProcessInfo.processInfo.activeProcessorCount
        self.recordedAt = recordedAt
        self.results = results
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public func table() -> String {
        let header = ["benchmark", "ops", "seconds", "rate/s", "p50 ms", "p99 ms", "p999 ms", "vs baseline"]
        let rows = results.map { result -> [String] in
            [
                result.name,
                "\(result.operations)",
                String(format: "%.3f", result.seconds),
                Self.grouped(result.ratePerSecond),
                result.latencyMilliseconds.map { String(format: "%.2f", $0.p50) } ?? "",
                result.latencyMilliseconds.map { String(format: "%.2f", $0.p99) } ?? "",
                result.latencyMilliseconds.map { String(format: "%.2f", $0.p999) } ?? "",
                zip(result.ratioToBaseline, result.baseline).map { String(format: "%.0f%% of %@", $0 * 100, $1) } ?? "",
            ]
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 || column == cells.count - 1 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        let title = "reprise bench \(benchmark) (\(cores) cores)"
        return ([title, line(header), rule] + rows.map(line)).joined(separator: "\n")
    }

    private static func grouped(_ value: Double) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 0
        return formatter.string(from: NSNumber(value: value)) ?? "\(Int(value))"
    }
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}

/// `base` operations times a benchmark's `--scale`, and at least one.
func scaledCount(_ base: Int, by scale: Double) -> Int { max(1, Int(Double(base) * scale)) }
