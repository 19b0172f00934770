import Foundation
import NATS
import Postgres
import Prometheus
import RepriseEventLog
import RepriseEventStore
import RepriseProjectionCore
import RepriseProjections
import RepriseTestSupport
import Testing

/// A small projection for the runtime's tests: per stream, how many events and the sum
/// of their `n`. Events of type `test.poison` always fail.
struct StreamCounts: Projection {
    struct Poison: Error {}

    struct Row: Equatable, Sendable {
        var events: Int
        var totalN: Int
        var lastSequence: UInt64
    }

    struct Step: Sendable {
        let stream: String
        let n: Int
        let sequence: UInt64
    }

    let name = "stream_counts"
    var poisonPolicy: PoisonPolicy = .skip

    var tables: [ProjectionTable] {
        [ProjectionTable(
            name: "stream_counts", keyColumn: "stream_id",
            columns: [ProjectionColumn("events", .integer), ProjectionColumn("total_n", .bigint), ProjectionColumn("last_sequence", .bigint)]
        )]
    }

    func step(for event: SequencedEvent) throws -> Step? {
        if event.event.type == "test.poison" { throw Poison() }
        let n = (try JSONSerialization.jsonObject(with: Data(event.event.data)) as? [String: Any])?["n"] as? Int ?? 0
        return Step(stream: event.event.streamID.rawValue, n: n, sequence: event.globalSequence)
    }

    func selections(for step: Step) -> [RowSelection] { [.key(ProjectionKey("stream_counts", step.stream))] }

    func apply(_ step: Step, to rows: inout ProjectionRows<Row>) throws {
        let key = ProjectionKey("stream_counts", step.stream)
        var row = try rows.row(key) ?? Row(events: 0, totalN: 0, lastSequence: 0)
        row.events += 1
        row.totalN += step.n
        row.lastSequence = step.sequence
        try rows.set(key, row)
    }

    func encode(_ row: Row, key: ProjectionKey) -> [[String]] {
        [[String(row.events), String(row.totalN), String(row.lastSequence)]]
    }

    func decode(_ rows: [[String]], key: ProjectionKey) throws -> Row {
        let values = rows[0]
        return Row(events: Int(values[0])!, totalN: Int(values[1])!, lastSequence: UInt64(values[2])!)
    }
}

extension PipelineHarness {
    func projector(_ projection: StreamCounts, registry: PrometheusCollectorRegistry = .init()) -> ProjectorService<StreamCounts> {
        ProjectorService(
            projection: projection, pool: pool, jetStream: jetStream,
            configuration: ProjectorConfiguration(
                streamName: configuration.streamName, subjectPrefix: configuration.subjectPrefix, fetchBatch: 40,
                fetchTimeout: .milliseconds(100), pageSize: 25
            ),
            metrics: ProjectorMetrics(registry: registry), logger: logger
        )
    }

    func waitForCheckpoint(_ projection: StreamCounts, toReach sequence: UInt64) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while (try await ProjectionReader.checkpoint(of: projection, on: pool) ?? 0) < sequence {
            guard ContinuousClock.now < deadline else {
                throw HarnessTimeout(description: "\(projection.name) did not reach \(sequence)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func totals(_ projection: StreamCounts) async throws -> (events: Int, n: Int) {
        try await ProjectionReader.read(projection, on: pool) { model in
            let row = try await model.connection.query(
                "SELECT coalesce(sum(events), 0)::bigint, coalesce(sum(total_n), 0)::bigint FROM \(model.table("stream_counts"))"
            ).first!
            return (Int(try row.decode(Int64.self, at: 0)), Int(try row.decode(Int64.self, at: 1)))
        } ?? (0, 0)
    }

    func appendPoison() async throws {
        try await store.append(AppendRequest(
            commandID: UUID().uuidString,
            streams: [StreamAppend(
                streamID: "s-poison", expectedVersion: .any,
                events: [NewEvent(eventID: UUID(), type: "test.poison", schemaVersion: 1, data: Array(#"{"n": 1000}"#.utf8))]
            )],
            metadata: EventMetadata(correlationID: UUID(), actor: "test")
        ))
    }
}

@Suite("Projector runtime")
struct ProjectorTests {
    @Test("applies every event once, and a rebuild from the log comes out identical")
    func appliesAndVerifies() async throws {
        try await PipelineHarness.with { harness in
            let projection = StreamCounts()
            try await harness.append(60)
            try await harness.withRelay {
                try await whileRunning(harness.projector(projection).runUntilCancelled) {
                    try await harness.waitForCheckpoint(projection, toReach: 60)
                    try await harness.append(40)
                    try await harness.waitForCheckpoint(projection, toReach: 100)
                }
            }
            let totals = try await harness.totals(projection)
            #expect(totals.events == 100)
            #expect(totals.n == (0..<60).reduce(0, +) + (0..<40).reduce(0, +))
            let report = try await ProjectionRebuilder(projection: projection, pool: harness.pool, logger: harness.logger).verify()
            #expect(report.matches)
            #expect(report.checkpoint == 100)
            #expect(report.firstDifference == nil)
            // The shadow is gone once verify returns: only the live generation is left.
            let generations = try await harness.pool.query("SELECT generation FROM projection_checkpoints WHERE name = 'stream_counts'")
            #expect(try generations.map { try $0.decode(Int.self, at: 0) } == [1])
            let shadowTable = try await harness.pool.query("SELECT to_regclass('stream_counts_g2') IS NULL")
            #expect(try shadowTable.first?.decode(Bool.self, at: 0) == true)
        }
    }

    @Test("events delivered again are skipped by the checkpoint")
    func redeliverySkipped() async throws {
        try await PipelineHarness.with { harness in
            let projection = StreamCounts()
            try await harness.append(30)
            try await harness.withRelay {
                try await harness.waitForStream(toReach: 30)
                // The model is already at 30; a consumer that starts from the beginning
                // delivers all 30 again.
                _ = try await ProjectionRebuilder(projection: projection, pool: harness.pool, logger: harness.logger).rebuild()
                _ = try await harness.jetStream.addConsumer(stream: harness.configuration.streamName, ConsumerConfiguration(
                    durableName: "projector-\(projection.name)",
                    filterSubject: harness.configuration.subjectPrefix + ".>", deliverPolicy: .all
                ))
                try await whileRunning(harness.projector(projection).runUntilCancelled) {
                    try await harness.append(10)
                    try await harness.waitForCheckpoint(projection, toReach: 40)
                }
            }
            #expect(try await harness.totals(projection).events == 40)
        }
    }

    @Test("a poison event becomes a dead letter; under skip the projector goes on")
    func poisonSkipped() async throws {
        try await PipelineHarness.with { harness in
            let projection = StreamCounts(poisonPolicy: .skip)
            let registry = PrometheusCollectorRegistry()
            try await harness.append(10)
            try await harness.appendPoison()
            try await harness.append(10)
            try await harness.withRelay {
                try await whileRunning(harness.projector(projection, registry: registry).runUntilCancelled) {
                    try await harness.waitForCheckpoint(projection, toReach: 21)
                }
            }
            #expect(try await harness.totals(projection).events == 20)
            let letters = try await harness.pool.query("SELECT global_sequence, event_type, error FROM projection_dead_letters")
            #expect(letters.count == 1)
            #expect(try letters.first?.decode(Int64.self, at: 0) == 11)
            #expect(registry.emitToString().contains(#"reprise_projector_dead_letters_total{projection="stream_counts"} 1"#))
            #expect(try await ProjectionRebuilder(projection: projection, pool: harness.pool, logger: harness.logger).verify().matches)
        }
    }

    @Test("under the stop policy the projector stops at the poison event and holds its checkpoint")
    func poisonStops() async throws {
        try await PipelineHarness.with { harness in
            let projection = StreamCounts(poisonPolicy: .stop)
            let registry = PrometheusCollectorRegistry()
            try await harness.append(10)
            try await harness.appendPoison()
            try await harness.append(10)
            try await harness.withRelay {
                try await whileRunning(harness.projector(projection, registry: registry).runUntilCancelled) {
                    let deadline = ContinuousClock.now + .seconds(30)
                    while !registry.emitToString().contains(#"reprise_projector_stopped{projection="stream_counts"} 1"#) {
                        guard ContinuousClock.now < deadline else { throw HarnessTimeout(description: "the projector never stopped") }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
            #expect(try await ProjectionReader.checkpoint(of: projection, on: harness.pool) == 10)
            #expect(try await harness.totals(projection).events == 10)
            #expect(try await harness.pool.query("SELECT 1 FROM projection_dead_letters WHERE global_sequence = 11").count == 1)
        }
    }

    @Test("cancelled statements and killed connections mid-batch are retried, never dead-lettered")
    func infrastructureFailuresAreNotPoison() async throws {
        try await PipelineHarness.with { harness in
            let projection = StreamCounts()
            let registry = PrometheusCollectorRegistry()
            // The projector's own pool, with a name of its own, so that only its backends are hit.
            let name = "projector-under-fire-\(UInt32.random(in: 0...UInt32.max))"
            try await harness.append(300)
            try await PostgresConnectionPool.withPool(
                configuration: PostgresConfiguration(url: harness.database.url, applicationName: name), maxConnections: 4, logger: harness.logger
            ) { pool in
                let projector = ProjectorService(
                    projection: projection, pool: pool, jetStream: harness.jetStream,
                    configuration: ProjectorConfiguration(
                        streamName: harness.configuration.streamName, subjectPrefix: harness.configuration.subjectPrefix, fetchBatch: 5,
                        fetchTimeout: .milliseconds(100)
                    ),
                    metrics: ProjectorMetrics(registry: registry), logger: harness.logger
                )
                try await harness.withRelay {
                    try await whileRunning(projector.runUntilCancelled) {
                        // Cancel a running statement (SQLSTATE 57014, as a statement timeout
                        // raises) and kill connections, while batches are in flight. The
                        // victims are chosen first (`OFFSET 0` keeps the planner from calling
                        // the signal function on rows the filter would drop).
                        var hits = 0
                        let deadline = ContinuousClock.now + .seconds(30)
                        while hits < 6, ContinuousClock.now < deadline {
                            let signalled = try await harness.pool.query(hits % 2 == 0 ? """
                                SELECT count(*) FILTER (WHERE pg_cancel_backend(pid))::bigint FROM (
                                    SELECT pid FROM pg_stat_activity
                                    WHERE application_name = \(name) AND pid <> pg_backend_pid() AND state = 'active' OFFSET 0
                                ) victims
                                """ : """
                                SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::bigint FROM (
                                    SELECT pid FROM pg_stat_activity
                                    WHERE application_name = \(name) AND pid <> pg_backend_pid() AND state <> 'idle' OFFSET 0
                                ) victims
                                """).first?.decode(Int64.self, at: 0) ?? 0
                            if signalled > 0 { hits += 1 }
                            try await Task.sleep(for: .milliseconds(10))
                        }
                        #expect(hits > 0, "no batch was in flight to kill")
                        try await harness.waitForCheckpoint(projection, toReach: 300)
                    }
                }
            }
            #expect(try await harness.totals(projection).events == 300)
            #expect(try await harness.pool.query("SELECT count(*)::bigint FROM projection_dead_letters").first?.decode(Int64.self, at: 0) == 0)
            #expect(!registry.emitToString().contains(#"reprise_projector_batch_failures_total{projection="stream_counts"} 0"#))
            #expect(registry.emitToString().contains("reprise_projector_batch_failures_total"))
        }
    }

    @Test("a rebuild swaps generations while readers and the live projector keep going")
    func rebuildSwaps() async throws {
        try await PipelineHarness.with { harness in
            let projection = StreamCounts()
            try await harness.append(50)
            try await harness.withRelay {
                try await whileRunning(harness.projector(projection).runUntilCancelled) {
                    try await harness.waitForCheckpoint(projection, toReach: 50)
                    // Readers never fail and never see fewer events than they saw before.
                    let reader: @Sendable () async throws -> Void = {
                        var lastSeen = 0
                        while !Task.isCancelled {
                            let events = try await harness.totals(projection).events
                            #expect(events >= lastSeen)
                            lastSeen = events
                        }
                    }
                    try await whileRunning(reader) {
                        try await withThrowingTaskGroup(of: Void.self) { writers in
                            writers.addTask { try await harness.append(40) }
                            let report = try await ProjectionRebuilder(projection: projection, pool: harness.pool, logger: harness.logger).rebuild()
                            #expect(report.previousGeneration == 1)
                            #expect(report.generation == 2)
                            try await writers.waitForAll()
                        }
                        try await harness.waitForCheckpoint(projection, toReach: 90)
                    }
                }
            }
            #expect(try await harness.totals(projection).events == 90)
            let oldTable = try await harness.pool.query("SELECT to_regclass('stream_counts_g1') IS NULL")
            #expect(try oldTable.first?.decode(Bool.self, at: 0) == true)
            #expect(try await ProjectionRebuilder(projection: projection, pool: harness.pool, logger: harness.logger).verify().matches)
        }
    }
}
