import Foundation
import Logging
import Postgres
import RepriseEventLog
import RepriseEventStore
import RepriseMigrations

/// The event store's speed, each figure beside the raw driver rate it is judged against,
/// measured in the same run (`DriverBenchmarks.postgres()` runs first).
public struct StoreBenchmarks: Sendable {
    public struct Options: Sendable {
        public var postgresURL: String
        public var migrationsDirectory: String
        public var scale: Double

        public init(postgresURL: String, migrationsDirectory: String, scale: Double = 1) {
            self.postgresURL = postgresURL
            self.migrationsDirectory = migrationsDirectory
            self.scale = scale
        }

        func count(_ base: Int) -> Int { scaledCount(base, by: scale) }
    }

    let options: Options
    let logger: Logger

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    public func run() async throws -> [BenchResult] {
        let drivers = try await DriverBenchmarks(
            options: .init(postgresURL: options.postgresURL, natsURL: "", scale: options.scale), logger: logger
        ).postgres()
        func baseline(_ name: String) -> BenchResult? { drivers.first { $0.name == name } }

        let results = try await MigratedScratchSchema.with(
            url: options.postgresURL, migrationsDirectory: options.migrationsDirectory, prefix: "bench_store", logger: logger
        ) { url in
            try await PostgresConnectionPool.withPool(
                configuration: PostgresConfiguration(url: url), maxConnections: 64, logger: logger
            ) { pool in
                let store = PostgresEventStore(pool: pool, logger: logger)
                var results: [BenchResult] = []
                for (writers, appends, raw) in [
                    (1, options.count(2_000), DriverBenchmarks.Name.insertOneConnection),
                    (16, options.count(8_000), DriverBenchmarks.Name.insertSixteenConnections),
                    (64, options.count(12_800), DriverBenchmarks.Name.insertSixteenConnections),
                ] {
                    results.append(try await Self.singleEventAppends(store, writers: writers, appends: appends, baseline: baseline(raw)))
                }
                results.append(try await hundredEventAppends(store, appends: options.count(500), baseline: baseline(DriverBenchmarks.Name.copy)))
                results.append(try await readWholeLog(store, baseline: baseline(DriverBenchmarks.Name.keysetRead)))
                results += try await Self.wakeUpTriggerCost(store, pool: pool, appends: options.count(8_000))
                return results
            }
        }
        return drivers + results
    }

    /// Commands that append one event each to a stream of their own writer, at an exact
    /// expected version: the common case of the command API. `bench api` measures its
    /// commands against this figure.
    static func singleEventAppends(
        _ store: PostgresEventStore, writers: Int, appends: Int, baseline: BenchResult?
    ) async throws -> BenchResult {
        let perWriter = max(1, appends / writers)
        let streamsPerWriter = 8
        let run = UInt32.random(in: 0...UInt32.max)
        let clock = ContinuousClock()
        let started = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var versions = [Int](repeating: 0, count: streamsPerWriter)
                    var latencies: [Duration] = []
                    latencies.reserveCapacity(perWriter)
                    for index in 0..<perWriter {
                        let slot = index % streamsPerWriter
                        let expected: ExpectedVersion = versions[slot] == 0 ? .noStream : .exactly(versions[slot])
                        let request = AppendRequest(
                            commandID: "bench-\(run)-\(writer)-\(index)",
                            streams: [StreamAppend(
                                streamID: StreamID("campaign-bench\(run)-\(writer)-\(slot)"),
                                expectedVersion: expected,
                                events: [Self.event(index)]
                            )],
                            metadata: Self.metadata
                        )
                        let start = clock.now
                        try await store.append(request)
                        latencies.append(clock.now - start)
                        versions[slot] += 1
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = clock.now - started
        return BenchResult(
            name: "store append 1 event, \(writers) writer\(writers == 1 ? "" : "s")", unit: "append",
            operations: latencies.count, seconds: elapsed.seconds, latencies: latencies, baseline: baseline
        )
    }

    public enum Name {
        public static let appendsWithWakeUp = "store append 1 event, 16 writers, wake-up trigger"
        public static let appendsWithoutWakeUp = "store append 1 event, 16 writers, no wake-up trigger"
    }

    /// What the relay's wake-up trigger (`events_notify_appended`) costs writers: the
    /// 16-writer single-event rate with it and without it, in the same schema and run. The
    /// runs alternate, twice each, so that neither gets the emptier table; the trigger is put
    /// back afterwards, also after a failure.
    static func wakeUpTriggerCost(_ store: PostgresEventStore, pool: PostgresConnectionPool, appends: Int) async throws -> [BenchResult] {
        let trigger = try await pool.query(
            "SELECT tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE tgrelid = 'events'::regclass AND tgname LIKE '%notify%'"
        )
        guard let row = trigger.first else { throw BenchError("the events table has no wake-up trigger to measure") }
        let name = try row.decode(String.self, at: 0), definition = try row.decode(String.self, at: 1)
        var with: [BenchResult] = [], without: [BenchResult] = []
        for _ in 0..<2 {
            with.append(try await singleEventAppends(store, writers: 16, appends: appends, baseline: nil))
            try await pool.withConnection { try await $0.simpleQuery("DROP TRIGGER \(name) ON events") }
            do {
                without.append(try await singleEventAppends(store, writers: 16, appends: appends, baseline: nil))
            } catch {
                try? await pool.withConnection { try await $0.simpleQuery(definition) }
                throw error
            }
            try await pool.withConnection { try await $0.simpleQuery(definition) }
        }
        func combined(_ runs: [BenchResult], name: String, baseline: BenchResult?) -> BenchResult {
            BenchResult(
                name: name, unit: "append", operations: runs.reduce(0) { $0 + $1.operations },
                seconds: runs.reduce(0) { $0 + $1.seconds }, baseline: baseline
            )
        }
        let untriggered = combined(without, name: Name.appendsWithoutWakeUp, baseline: nil)
        return [untriggered, combined(with, name: Name.appendsWithWakeUp, baseline: untriggered)]
    }

    /// One command appending 100 events to a new stream: a bulk import's shape.
    private func hundredEventAppends(_ store: PostgresEventStore, appends: Int, baseline: BenchResult?) async throws -> BenchResult {
        let run = UInt32.random(in: 0...UInt32.max)
        let requests = (0..<appends).map { index in
            AppendRequest(
                commandID: "bench-batch-\(run)-\(index)",
                streams: [StreamAppend(
                    streamID: StreamID("campaign-batch\(run)-\(index)"), expectedVersion: .noStream,
                    events: (0..<100).map(Self.event)
                )],
                metadata: Self.metadata
            )
        }
        let clock = ContinuousClock()
        let started = clock.now
        var latencies: [Duration] = []
        for request in requests {
            let start = clock.now
            try await store.append(request)
            latencies.append(clock.now - start)
        }
        let elapsed = clock.now - started
        return BenchResult(
            name: "store append 100 events, 1 writer", unit: "event", operations: appends * 100,
            seconds: elapsed.seconds, latencies: latencies, baseline: baseline
        )
    }

    private func readWholeLog(_ store: PostgresEventStore, baseline: BenchResult?) async throws -> BenchResult {
        let clock = ContinuousClock()
        let started = clock.now
        var read = 0
        try await LogCatchUp.read(store, pageSize: 5_000) { events in
            read += events.count
            return .more
        }
        let elapsed = clock.now - started
        return BenchResult(name: "store read whole log, 5000-event pages", unit: "event", operations: read, seconds: elapsed.seconds, baseline: baseline)
    }

    private static let metadata = EventMetadata(correlationID: UUID(), causationID: nil, actor: "bench")
    private static let eventIDs = EventIDGenerator()

    private static func event(_ index: Int) -> NewEvent {
        NewEvent(eventID: eventIDs.next(), type: "delivery.reported", schemaVersion: 1, data: Array(Payload.json(index).utf8))
    }
}

/// A throwaway schema with the repository's migrations applied, dropped afterwards.
enum MigratedScratchSchema {
    /// Creates and migrates `<prefix>_<random>`, runs `body` with a URL whose connections
    /// use it, then drops it (also when `body` throws).
    static func with<R: Sendable>(
        url: String, migrationsDirectory: String, prefix: String, logger: Logger, _ body: (String) async throws -> R
    ) async throws -> R {
        let schema = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
        let scratchURL = url + (url.contains("?") ? "&" : "?") + "options=-csearch_path%3D" + schema
        try await ScratchSchema.withConnection(url: url, logger: logger) {
            try await $0.simpleQuery("CREATE SCHEMA \(schema)")
        }
        do {
            try await ScratchSchema.withConnection(url: scratchURL, logger: logger) { connection in
                let runner = MigrationRunner(migrations: try Migration.load(from: migrationsDirectory), logger: logger)
                try await runner.migrate(on: connection)
            }
            let result = try await body(scratchURL)
            try await ScratchSchema.withConnection(url: url, logger: logger) {
                try await $0.simpleQuery("DROP SCHEMA \(schema) CASCADE")
            }
            return result
        } catch {
            _ = try? await ScratchSchema.withConnection(url: url, logger: logger) {
                try await $0.simpleQuery("DROP SCHEMA \(schema) CASCADE")
            }
            throw error
        }
    }
}
