import Foundation
import Logging
import NATS
import Postgres
import Prometheus
import RepriseEventLog
import RepriseEventStore
import RepriseRelay
import RepriseTestSupport
import Testing

/// A migrated schema, an event store on it, and a JetStream stream name and subject
/// prefix of the test's own: what every relay test starts from.
struct RelayHarness: Sendable {
    let pool: PostgresConnectionPool
    let database: MigratedDatabase
    let store: PostgresEventStore
    let jetStream: JetStreamContext
    let configuration: RelayConfiguration
    let logger: Logger

    static func with(_ body: (RelayHarness) async throws -> Void) async throws {
        try await MigratedDatabase.with { pool, database in
            let connection = try await NATSConnection.connect(url: TestEnvironment.natsURL, name: "relay-tests", logger: database.logger)
            let name = TestEnvironment.uniqueName("E")
            let configuration = RelayConfiguration(
                streamName: name, subjectPrefix: name.lowercased(), batchSize: 50,
                pollInterval: .milliseconds(200), streamCheckInterval: .milliseconds(300),
                leaderRetryInterval: .milliseconds(100), publishTimeout: .seconds(5)
            )
            let jetStream = try connection.jetStream()
            let harness = RelayHarness(
                pool: pool, database: database, store: PostgresEventStore(pool: pool, logger: database.logger),
                jetStream: jetStream, configuration: configuration, logger: database.logger
            )
            do {
                try await body(harness)
            } catch {
                try? await jetStream.deleteStream(name: name)
                await connection.close()
                throw error
            }
            try? await jetStream.deleteStream(name: name)
            await connection.close()
        }
    }

    func makeRelay(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) -> Relay {
        Relay(
            postgres: PostgresConfiguration(url: database.url), jetStream: jetStream, configuration: configuration,
            metrics: RelayMetrics(registry: registry), logger: logger
        )
    }

    /// Runs a relay while `body` runs, then stops it.
    func withRelay(_ body: () async throws -> Void) async throws {
        let relay = makeRelay()
        let task = Task { try await relay.runUntilCancelled() }
        defer { task.cancel() }
        try await body()
        task.cancel()
        _ = await task.result
    }

    /// Appends `count` single-event commands to `streams` streams, round robin.
    func append(_ count: Int, streams: Int = 3, type: String = "test.happened") async throws {
        for index in 0..<count {
            try await store.append(AppendRequest(
                commandID: UUID().uuidString,
                streams: [StreamAppend(
                    streamID: StreamID("s-\(index % streams)"), expectedVersion: .any,
                    events: [NewEvent(eventID: UUID(), type: type, schemaVersion: 1, data: Array(#"{"n": \#(index)}"#.utf8))]
                )],
                metadata: EventMetadata(correlationID: UUID(), actor: "relay test ✓")
            ))
        }
    }

    /// The stream's last sequence, 0 when it does not exist yet.
    func streamTail() async throws -> UInt64 {
        do {
            return try await jetStream.streamInfo(name: configuration.streamName).state.lastSequence
        } catch let error as NATSError where error.code == .streamNotFound || error.code == .notFound {
            return 0
        }
    }

    /// Waits (up to a generous deadline, so a slow machine only makes it slower) until
    /// the stream holds `count` messages.
    func waitForStream(toReach count: UInt64) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await streamTail() < count {
            guard ContinuousClock.now < deadline else {
                Issue.record("the stream reached only \(try await streamTail()) of \(count) messages")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Every message of the stream decoded, checked against Postgres' numbering.
    func checkStreamEqualsLog() async throws {
        let tail = try await streamTail()
        let log = try await EventSequence.read(after: 0, limit: 1_000_000, on: pool)
        #expect(UInt64(log.count) == tail, "the stream holds \(tail) messages, Postgres numbered \(log.count) events")
        for expected in log {
            let message = try await jetStream.getMessage(stream: configuration.streamName, sequence: expected.globalSequence)
            let decoded = try EventMessage.decode(
                subject: message.subject, headers: message.headers, payload: message.payload, streamSequence: message.sequence
            )
            #expect(decoded == expected)
        }
        // Numbering follows the log's stable order exactly.
        let ordered = try await store.readLog(after: nil, limit: 1_000_000).events
        #expect(ordered.map(\.eventID) == log.map(\.event.eventID))
    }
}
