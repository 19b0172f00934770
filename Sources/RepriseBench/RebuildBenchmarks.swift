import Foundation
import Logging
import Postgres
import RepriseEventLog
import RepriseEventStore
import ReprisePlatform
import RepriseProjectionCore
import RepriseProjections

/// Rebuilds at scale: a synthetic log of a realistic mix is appended and numbered, then
/// every projection is rebuilt from it, one after the other. Each figure has the rate
/// beside the raw keyset read and the peak resident size of the process during that
/// rebuild alone (the kernel's high-water mark, reset before each one).
public struct RebuildBenchmarks: Sendable {
    public struct Options: Sendable {
        public var postgresURL: String
        public var natsURL: String
        public var migrationsDirectory: String
        public var events: Int
        public var residentRows: Int

        public init(postgresURL: String, natsURL: String, migrationsDirectory: String, events: Int, residentRows: Int) {
            self.postgresURL = postgresURL
            self.natsURL = natsURL
            self.migrationsDirectory = migrationsDirectory
            self.events = events
            self.residentRows = residentRows
        }
    }

    public enum Name {
        public static func rebuild(_ projection: String) -> String { "rebuild \(projection) from the log" }
        public static func peakMemory(_ projection: String) -> String { "rebuild \(projection): peak resident MiB" }
    }

    let options: Options
    let logger: Logger

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    public func run() async throws -> [BenchResult] {
        let raw = try await DriverBenchmarks(
            options: .init(postgresURL: options.postgresURL, natsURL: options.natsURL, scale: 1), logger: logger
        ).postgres()
        let keyset = raw.first { $0.name == DriverBenchmarks.Name.keysetRead }
        let figures = try await MigratedScratch.with(options.postgresURL, migrations: options.migrationsDirectory, logger: logger) { pool, _ in
            let store = PostgresEventStore(pool: pool, logger: logger)
            let events = try await PipelineBenchmarks.fillSynthetic(store, events: options.events, logger: logger)
            // Numbered as the relay numbers them, without publishing: rebuilds read Postgres.
            var numbered = 0
            while numbered < events {
                let batch = try await EventSequence.assignNext(limit: 10_000, on: pool)
                guard !batch.isEmpty else { break }
                numbered += batch.count
            }
            var results: [BenchResult] = []
            for projection in Platform.projections {
                results += try await rebuild(projection, events: numbered, pool: pool, keyset: keyset)
            }
            return results
        }
        return raw + figures
    }

    private func rebuild(_ projection: some Projection, events: Int, pool: PostgresConnectionPool, keyset: BenchResult?) async throws -> [BenchResult] {
        ResidentMemory.resetPeak()
        let clock = ContinuousClock()
        let started = clock.now
        let report = try await ProjectionRebuilder(
            projection: projection, pool: pool, maxResidentRows: options.residentRows, logger: logger
        ).rebuild()
        let seconds = (clock.now - started).seconds
        let peak = ResidentMemory.peakMebibytes()
        logger.info("Rebuilt", metadata: ["projection": "\(projection.name)", "events": "\(report.eventsApplied)", "peak.mib": "\(peak)"])
        return [
            BenchResult(name: Name.rebuild(projection.name), unit: "event", operations: events, seconds: seconds, baseline: keyset),
            BenchResult(name: Name.peakMemory(projection.name), unit: "MiB", operations: peak, seconds: 1),
        ]
    }
}

/// The process's resident memory high-water mark, from Linux's `/proc/self/status`.
enum ResidentMemory {
    /// Starts a new high-water mark (writing 5 to `clear_refs` resets `VmHWM`).
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    static func peakMebibytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return 0 }
        return kib / 1024
    }
}
