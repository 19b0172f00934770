import Foundation
import Logging
import NATS
import Postgres
import Prometheus
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog
import RepriseEventStore
import ReprisePlatform
import RepriseProjections
import RepriseScores
import RepriseScoring
import RepriseTestSupport
import Testing

/// One fault scenario's world on the private servers: a fresh migrated schema, an event
/// stream and a score bucket of its own, the relay and the scores projector as child
/// processes configured through the environment, and the checks that every scenario ends
/// with.
struct FaultRig: Sendable {
    let pool: PostgresConnectionPool
    let database: MigratedDatabase
    let store: PostgresEventStore
    let jetStream: JetStreamContext
    let streamName: String
    let subjectPrefix: String
    let bucketName: String
    let scoresPrefix: String
    let logger: Logger
    let relay: ComponentProcess
    let projector: ComponentProcess
    /// What the components' processes are configured with; `reprise` run by a test gets it too.
    let environment: [String: String]

    static func with(_ body: (FaultRig) async throws -> Void) async throws {
        try await MigratedDatabase.with(serverURL: PrivateServers.postgresURL, maxConnections: 16) { pool, database in
            var logger = Logger(label: "test.faults")
            logger.logLevel = .notice
            try await NATSConnection.withConnection(url: PrivateServers.natsURL, name: "fault-tests", logger: logger) { nats in
                let name = TestEnvironment.uniqueName("F")
                let environment = [
                    "REPRISE_POSTGRES_URL": database.url,
                    "REPRISE_NATS_URL": PrivateServers.natsURL,
                    // The per-user URLs ops/services.sh exports name the shared server, and
                    // those users' rights name the platform's streams, not this test's.
                    "REPRISE_NATS_RELAY_URL": "", "REPRISE_NATS_PROJECTOR_SCORES_URL": "", "REPRISE_NATS_PROJECTOR_CAMPAIGNS_URL": "",
                    "REPRISE_NATS_EVENTS_STREAM": name,
                    "REPRISE_NATS_EVENTS_PREFIX": name.lowercased(),
                    "REPRISE_NATS_SCORES_BUCKET": "S" + name,
                    "REPRISE_NATS_SCORES_PREFIX": name.lowercased() + "_scores",
                    "REPRISE_LOG_LEVEL": "info",
                ]
                let logs = PrivateServers.runDirectory.appendingPathComponent("logs").appendingPathComponent(database.schema)
                let jetStream = try nats.jetStream()
                let rig = FaultRig(
                    pool: pool, database: database, store: PostgresEventStore(pool: pool, logger: logger), jetStream: jetStream,
                    streamName: name, subjectPrefix: name.lowercased(), bucketName: "S" + name, scoresPrefix: name.lowercased() + "_scores",
                    logger: logger,
                    relay: ComponentProcess(component: "relay", environment: environment, logDirectory: logs),
                    projector: ComponentProcess(component: "projectors", environment: environment, logDirectory: logs),
                    environment: environment
                )
                logger.notice("Fault scenario", metadata: ["schema": "\(database.schema)", "stream": "\(name)", "logs": "\(logs.path)"])
                do {
                    try await body(rig)
                } catch {
                    await rig.relay.kill9()
                    await rig.projector.kill9()
                    await rig.removeNATSState()
                    throw error
                }
                await rig.relay.stop()
                await rig.projector.stop()
                await rig.removeNATSState()
            }
        }
    }

    private func removeNATSState() async {
        try? await jetStream.deleteStream(name: streamName)
        try? await jetStream.deleteKeyValue(bucket: bucketName)
    }

    var handler: CampaignCommandHandler { CampaignCommandHandler(store: store, logger: logger) }

    /// The load every scenario runs under.
    func makeLoad() -> CommandLoad {
        CommandLoad(handler: handler, ticker: ClockTicker(store: store, logger: logger), logger: logger)
    }

    /// The projectors in this process, as the platform runs them, while `body` runs: for
    /// the scenario that reads their metrics.
    func withProjectors(_ body: (Platform) async throws -> Void) async throws {
        let configuration = PlatformConfiguration(
            components: [.projectors], postgres: PostgresConfiguration(url: database.url), natsURL: PrivateServers.natsURL,
            natsClientName: "fault-tests-projectors",
            projectors: ProjectorConfiguration(streamName: streamName, subjectPrefix: subjectPrefix),
            scores: .init(bucket: bucketName, subjectPrefix: scoresPrefix)
        )
        try await Platform.withRunning(configuration, logger: logger, body)
    }

    // MARK: Progress

    func eventCount() async throws -> UInt64 {
        UInt64(try await pool.query("SELECT count(*)::bigint FROM events").first?.decode(Int64.self, at: 0) ?? 0)
    }

    func numbered() async throws -> UInt64 { try await EventSequence.lastAssigned(on: pool) }

    func streamTail() async throws -> UInt64 { try await PipelineHarness.streamTail(of: streamName, on: jetStream) }

    /// The score bucket's last revision: the sequence of its stream's last message.
    func bucketRevision() async throws -> UInt64 {
        try await PipelineHarness.streamTail(of: "KV_" + bucketName, on: jetStream)
    }

    func checkpoint() async throws -> UInt64 {
        try await ProjectionReader.checkpoint(of: PromotionScoresProjection(), on: pool) ?? 0
    }

    /// Waits until the relay has numbered and published every event of the log and the
    /// projector has applied them all; returns that count. Call once the load stopped.
    @discardableResult
    func waitForConvergence() async throws -> UInt64 {
        var seen = (events: UInt64(0), numbered: UInt64(0), tail: UInt64(0), checkpoint: UInt64(0))
        do {
            try await waitUntil("the pipeline converged", deadline: .seconds(120), every: .milliseconds(50)) {
                seen = (try await eventCount(), try await numbered(), try await streamTail(), try await checkpoint())
                return seen.events == seen.numbered && seen.numbered == seen.tail && seen.tail == seen.checkpoint
            }
        } catch {
            throw FaultTestFailure(
                "no convergence: \(seen.events) events, \(seen.numbered) numbered, stream at \(seen.tail), checkpoint \(seen.checkpoint); \(error)"
            )
        }
        return seen.events
    }

    // MARK: Checks

    /// What every scenario checks once the pipeline converged: the stream is the log,
    /// message N is event N with no gap and no duplicate; every accepted command's events
    /// are in the log and nothing else is; the scores model equals a rebuild from the log;
    /// the only dead letters are the expected ones; the bucket equals the model.
    func checkEverything(_ load: CommandLoad.Report, extraCommands: Set<String> = [], deadLetters expected: Set<UInt64> = []) async throws {
        #expect(load.rejected.isEmpty, "the load sends only valid commands")
        #expect(load.commands > 0)

        let streamProblems = try await PipelineHarness.streamMismatches(stream: streamName, jetStream: jetStream, pool: pool, store: store)
        #expect(streamProblems.isEmpty, "\(streamProblems.prefix(5))")

        let logProblems = try await commandsMissingOrExtra(load, extraCommands: extraCommands)
        #expect(logProblems.isEmpty, "\(logProblems.prefix(5))")

        let projection = PromotionScoresProjection()
        let verify = try await ProjectionRebuilder(projection: projection, pool: pool, logger: logger).verify()
        #expect(verify.matches, "first difference: \(String(describing: verify.firstDifference))")
        #expect(verify.checkpoint == (try await eventCount()))

        let deadLetters = try await pool.query("SELECT global_sequence FROM projection_dead_letters WHERE name = 'scores'")
            .map { UInt64(try $0.decode(Int64.self, at: 0)) }
        #expect(Set(deadLetters) == expected)
        #expect(deadLetters.count == expected.count)

        try await waitForBucketToEqualModel()
    }

    /// Every accepted command appended exactly the events it was answered with, and the
    /// log holds no events of a command that was never accepted.
    private func commandsMissingOrExtra(_ load: CommandLoad.Report, extraCommands: Set<String>) async throws -> [String] {
        var logged: [String: Int] = [:]
        for row in try await pool.query("SELECT command_id, count(*)::bigint FROM events GROUP BY command_id") {
            logged[try row.decode(String.self, at: 0)] = Int(try row.decode(Int64.self, at: 1))
        }
        var problems: [String] = []
        for (id, appended) in load.accepted {
            if let appended {
                if logged[id] != appended { problems.append("command \(id) appended \(appended) events; the log holds \(logged[id] ?? 0)") }
            } else if logged[id] == nil, try await store.appendResult(forCommand: id) != nil {
                problems.append("accepted command \(id) has no events in the log")
            }
        }
        for id in logged.keys where !load.accepted.keys.contains(id) && !extraCommands.contains(id) {
            problems.append("the log holds events of command \(id), which was never accepted")
        }
        return problems
    }

    /// The bucket's contents, as a watcher's initial values give them.
    func bucketContents() async throws -> [String: [UInt8]] {
        let bucket = try await jetStream.keyValue(bucket: bucketName)
        var held: [String: [UInt8]] = [:]
        let watch = try await bucket.watch()
        for try await event in watch {
            guard case .entry(let entry) = event else { break }
            held[entry.key] = entry.operation == .put ? entry.value : nil
        }
        watch.stop()
        return held
    }

    /// The publisher runs after each commit, so the bucket may trail the model briefly.
    private func waitForBucketToEqualModel() async throws {
        var difference = ""
        do {
            try await waitUntil("the bucket equals the model", deadline: .seconds(60), every: .milliseconds(100)) {
                let model = try await ScoreQueries.published(on: pool).mapValues(\.value)
                let bucket = try await bucketContents()
                let keys = Set(model.keys).union(bucket.keys).filter { model[$0] != bucket[$0] }.sorted()
                difference = "\(keys.count) keys differ, e.g. \(keys.prefix(3)); model has \(model.count) keys"
                return keys.isEmpty && !model.isEmpty
            }
        } catch {
            Issue.record("the score bucket does not equal the model: \(difference)")
        }
    }

    // MARK: Foreign messages

    /// Publishes into the event stream a message the relay never published, as a
    /// misconfigured or hostile publisher would: as the user the relay runs as here (who may
    /// publish there), on a plain core publish (JetStream stores it all the same).
    func publishForeignMessage() async throws {
        try await NATSConnection.withConnection(url: environment["REPRISE_NATS_URL"] ?? PrivateServers.natsURL, name: "fault-tests-foreign", logger: logger) { nats in
            try nats.publish(subject: subjectPrefix + ".campaign.created", payload: Array(#"{"foreign":true}"#.utf8))
            try await nats.flush(timeout: .seconds(5))
        }
    }

    /// Runs `reprise <arguments>` configured as the components are, to its end; returns its
    /// exit status and output.
    func runReprise(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = ComponentProcess.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, ours in ours }
        // A file, not a pipe: reading a pipe to its end would block a thread of the shared pool.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        let exit = ExitSignal(for: process)
        try process.run()
        try? output.close()
        let status = await exit.wait()
        return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    // MARK: Poison

    /// Books a campaign of its own (so the load never reads its history), then appends,
    /// straight to the store, an event on its stream whose data does not decode. Returns
    /// every command id involved.
    func appendPoisonEvent() async throws -> (commandIDs: Set<String>, eventID: UUID) {
        var ids: Set<String> = []
        let campaign: CampaignID = "cmp-poison"
        func envelope() -> CommandEnvelope {
            let id = "poison-setup-" + UUID().uuidString
            ids.insert(id)
            return CommandEnvelope(commandID: id, correlationID: UUID(), actor: "label-7", issuedAt: "2026-11-21T12:00:00Z")
        }
        try await handler.handle(.create(CreateCampaign(
            campaignID: campaign, ownerID: "label-7", name: "Poisoned", objective: .reach,
            budget: Money(amountMinor: 1_000_000, currency: "EUR"), flight: CommandLoad.flight, pacingMode: .even
        )), envelope: envelope())
        let eventID = UUID()
        let commandID = "poison-" + UUID().uuidString
        ids.insert(commandID)
        try await store.append(AppendRequest(
            commandID: commandID,
            streams: [StreamAppend(
                streamID: StreamID(Campaign.streamID(for: campaign)), expectedVersion: .any,
                events: [NewEvent(eventID: eventID, type: CampaignBudgetChanged.eventType, schemaVersion: 1, data: Array(#"{"nonsense":true}"#.utf8))]
            )],
            metadata: EventMetadata(correlationID: UUID(), actor: "fault-test")
        ))
        return (ids, eventID)
    }

    /// The global sequence the relay gave an event.
    func globalSequence(of eventID: UUID) async throws -> UInt64? {
        let rows = try await pool.query(
            """
            SELECT s.global_sequence FROM event_sequence s
            JOIN events e ON e.transaction_id = s.transaction_id AND e.position = s.position
            WHERE e.event_id = \(eventID)
            """
        )
        return try rows.first.map { UInt64(try $0.decode(Int64.self, at: 0)) }
    }
}

/// A counter's value in the Prometheus text a registry emits, 0 when absent.
func counterValue(_ registry: PrometheusCollectorRegistry, _ line: String) -> Double {
    let text = registry.emitToString()
    for candidate in text.split(separator: "\n") where candidate.hasPrefix(line + " ") {
        return Double(candidate.dropFirst(line.count + 1)) ?? 0
    }
    return 0
}
