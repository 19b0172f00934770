import Foundation
import Logging
import NATS
import Postgres
import RepriseDomain
import RepriseEventLog
import RepriseEventStore
import ReprisePlatform
import RepriseProjectionCore
import RepriseProjections
import RepriseRelay
import RepriseWorkload

extension PipelineBenchmarks {
    /// Each live projector's rate over one backlog: a synthetic log of a realistic mix
    /// (bookings and bulk buys, delivery reports, budget and status changes, a tick each
    /// simulated minute) is appended in order, the relay publishes it, and then each
    /// projector, alone, consumes the whole stream from its durable consumer as the
    /// platform runs it. Beside it: the raw pull-consume-with-ack rate of the same run.
    func liveApply(events target: Int, baseline: BenchResult?) async throws -> [BenchResult] {
        try await MigratedScratch.with(options.postgresURL, migrations: options.migrationsDirectory, logger: logger) { pool, url in
            let store = PostgresEventStore(pool: pool, logger: logger)
            let events = try await Self.fillSynthetic(store, events: target, logger: logger)
            let stream = "BENCH_LIVE_\(UInt32.random(in: 0...UInt32.max))"
            var configuration = PlatformConfiguration(
                components: [.relay], postgres: PostgresConfiguration(url: url), natsURL: options.natsURL,
                natsClientName: "reprise-bench-live",
                relay: RelayConfiguration(streamName: stream, subjectPrefix: stream.lowercased(), batchSize: 2_000),
                projectors: ProjectorConfiguration(streamName: stream, subjectPrefix: stream.lowercased()),
                scores: .init(bucket: "S" + stream, subjectPrefix: stream.lowercased() + "_scores")
            )
            var results: [BenchResult] = []
            do {
                try await Platform.withRunning(configuration, logger: logger) { platform in
                    try await Self.waitUntil("the relay published \(events) events", timeout: .seconds(600)) {
                        (try? await platform.nats?.jetStream().streamInfo(name: stream).state.lastSequence) ?? 0 >= UInt64(events)
                    }
                }
                configuration.components = [.projectors]
                for projection in Platform.projections {
                    configuration.projections = [projection.name]
                    let clock = ContinuousClock()
                    let started = clock.now
                    try await Platform.withRunning(configuration, logger: logger) { _ in
                        try await Self.waitUntil("\(projection.name) applied \(events) events", timeout: .seconds(900)) {
                            (try? await ProjectionReader.checkpoint(of: projection, on: pool)) ?? 0 >= UInt64(events)
                        }
                    }
                    results.append(BenchResult(
                        name: Name.liveApply(projection.name), unit: "event", operations: events,
                        seconds: (clock.now - started).seconds, baseline: baseline
                    ))
                }
            } catch {
                try? await Self.removeStream(stream, natsURL: options.natsURL, logger: logger)
                throw error
            }
            try await Self.removeStream(stream, natsURL: options.natsURL, logger: logger)
            return results
        }
    }

    /// Appends a synthetic log of at least `target` events in order, a thousand commands
    /// per round trip; returns how many events it holds.
    static func fillSynthetic(_ store: PostgresEventStore, events target: Int, logger: Logger) async throws -> Int {
        let now = try Timestamp(atOrBefore: Date())
        // About 100 commands a simulated second, a tick a minute: a tick every ~6,000 events.
        var log = SyntheticLog(seed: 2026, maxStepMilliseconds: 20, start: now)
        var appended = 0
        while appended < target {
            var chunk: [AppendRequest] = []
            for _ in 0..<1_000 { chunk.append(log.next().request) }
            for outcome in try await store.appendInOrder(chunk) { appended += try outcome.get().eventCount }
        }
        logger.info("Synthetic log appended", metadata: ["events": "\(appended)"])
        return appended
    }

    private static func removeStream(_ stream: String, natsURL: String, logger: Logger) async throws {
        try await NATSConnection.withConnection(url: natsURL, name: "reprise-bench-cleanup", logger: logger) { connection in
            let jetStream = try connection.jetStream()
            try? await jetStream.deleteStream(name: stream)
            try? await jetStream.deleteKeyValue(bucket: "S" + stream)
        }
    }

    static func waitUntil(_ what: String, timeout: Duration, _ done: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !done() {
            guard ContinuousClock.now < deadline else { throw BenchError("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
