import Foundation
import Logging
import NATS
import Postgres
import RepriseCampaigns
import RepriseDomain
import ReprisePlatform
import RepriseProjections
import RepriseRelay
import RepriseSettings
import RepriseTestSupport
import Synchronization
import Testing

/// A personalization system written with a stock client: the official Python client
/// (`nats-py`, installed by `ops/install.sh`), connected as the `personalization` user of
/// its own account with its own inbox prefix, reading the mirror of the platform's
/// `scores` bucket while the relay and the projectors run as their own users on the
/// platform's real names (`EVENTS`, `scores`), as `reprise serve` runs them.
///
/// It fails, never skips, when python3 or nats-py is missing.
@Suite("Personalization with the official Python client")
struct PersonalizationClientTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Clients").appendingPathComponent("personalization_client.py")

    @Test("watches, lists and gets the scores through its mirror, overhears nothing while the fan-out is busy, changes nothing")
    func pythonClientAsPersonalization() async throws {
        let track = "trk-" + TestEnvironment.uniqueName("py").lowercased()
        let key = "SE.home.\(track)"
        try await MigratedDatabase.with(maxConnections: 4) { pool, database in
            try await NATSConnection.withConnection(url: TestEnvironment.natsURL, name: "personalization-tests", logger: database.logger) { admin in
                let js = try admin.jetStream()
                // A fresh log for this schema: an EVENTS stream of an earlier run would be ahead of it.
                try? await js.deleteStream(name: "EVENTS")
                do {
                    try await Platform.withRunning(Self.configuration(database), logger: database.logger) { platform in
                        try await Self.drive(platform, key: key, track: track, admin: js, pool: pool, logger: database.logger)
                    }
                } catch {
                    try? await js.deleteStream(name: "EVENTS")
                    throw error
                }
                try? await js.deleteStream(name: "EVENTS")
            }
        }
    }

    @Test("reprise serve's settings give the relay and every projector a NATS user of its own")
    func perUserSettings() throws {
        let environment = [
            "REPRISE_NATS_URL": "nats://reprise:a@h:1", "REPRISE_NATS_RELAY_URL": "nats://relay:b@h:1",
            "REPRISE_NATS_PROJECTOR_SCORES_URL": "nats://projector-scores:c@h:1",
            "REPRISE_NATS_PROJECTOR_CAMPAIGNS_URL": "nats://projector-campaigns:d@h:1",
        ]
        let configuration = try PlatformConfiguration.resolve(
            SettingsResolver(environment: environment), flags: .init(), components: [.relay, .projectors]
        )
        #expect(configuration.relayNATSURL == "nats://relay:b@h:1")
        #expect(configuration.projectorNATSURLs == [
            "scores": "nats://projector-scores:c@h:1", "campaigns": "nats://projector-campaigns:d@h:1",
        ])
        // Every projection the platform keeps has a user setting.
        #expect(Set(Platform.projections.map(\.name)) == Set(Settings.natsProjectorURLs.keys))
        let fallback = try PlatformConfiguration.resolve(
            SettingsResolver(environment: ["REPRISE_NATS_URL": "nats://reprise:a@h:1"]), flags: .init(), components: [.relay]
        )
        #expect(fallback.relayNATSURL == nil && fallback.projectorNATSURLs.isEmpty)
    }

    /// The relay and both projectors on the platform's names, each as its own NATS user.
    static func configuration(_ database: MigratedDatabase) -> PlatformConfiguration {
        var configuration = PlatformConfiguration(
            components: [.relay, .projectors], postgres: PostgresConfiguration(url: database.url), postgresPoolSize: 4,
            natsURL: TestEnvironment.natsURL, natsClientName: "personalization-tests",
            relay: RelayConfiguration(pollInterval: .milliseconds(100)),
            projectors: ProjectorConfiguration(fetchTimeout: .milliseconds(100))
        )
        configuration.relayNATSURL = TestEnvironment.natsURL(user: "relay", password: "relay-dev")
        configuration.projectorNATSURLs = [
            "scores": TestEnvironment.natsURL(user: "projector-scores", password: "projector-scores-dev"),
            "campaigns": TestEnvironment.natsURL(user: "projector-campaigns", password: "projector-campaigns-dev"),
        ]
        return configuration
    }

    private static func drive(
        _ platform: Platform, key: String, track: String, admin js: JetStreamContext, pool: PostgresConnectionPool, logger: Logger
    ) async throws {
        let campaign = try CampaignID("cmp-" + track)
        let ticker = ClockTicker(store: platform.store, logger: logger)
        try await book(platform.commands, campaign: campaign, track: track)
        // Half the flight left with all of the budget: score 2/3.
        try await ticker.tick(at: Timestamp("2026-12-16T00:00:00Z").date)
        let bucket = try await waitForBucket(js)
        // An operator's purge reaches personalization's copy as a rollup, which must not stop
        // the copy (a sourced stream refuses rollups unless allowed, and then stalls).
        _ = try await bucket.put(key: "ZZ.purged.\(track)", value: [1])
        try await bucket.purge(key: "ZZ.purged.\(track)")
        try await waitFor("the first score in the platform's bucket") { try await bucket.get(key: key) != nil }

        let client = try PythonClient(script: script, arguments: [
            "--url", TestEnvironment.natsURL(user: "personalization", password: "personalization-dev"),
            "--key", key, "--watch", "*.home.\(track)",
        ])
        defer { client.terminate() }
        try await client.waitForLine { $0["event"] as? String == "snapshot-done" }
        try await watchWithLibnats(key: key, track: track, logger: logger)

        // Busy: the relay publishes and the projectors fetch while the client listens on
        // every wide subject it tries. Each report spends budget and moves the score.
        for report in 1...12 {
            try await reportDelivery(platform.commands, campaign: campaign, number: report)
        }
        for minute in 1...12 {
            try await ticker.tick(at: Timestamp("2026-12-16T00:00:00Z").date.addingTimeInterval(Double(minute) * 60))
        }
        // Paused: no longer eligible, so the key is deleted.
        try await platform.commands.handle(.pause(campaign), envelope: envelope())
        let lines = try await client.finish()

        func events(_ name: String) -> [[String: Any]] { lines.filter { $0["event"] as? String == name } }
        #expect(events("missing-client").isEmpty, "nats-py is not installed: run ops/install.sh")
        #expect(client.status == 0, "the client failed: \(client.errorOutput)")

        let get = try #require(events("get").first)
        #expect((get["value"] as? String)?.contains(#""scoreMicros":666667"#) == true, "get: \(get)")
        #expect(events("keys").first?["contains"] as? Bool == true)

        let entries = events("entry")
        let snapshot = entries.filter { $0["live"] as? Bool == false }
        let live = entries.filter { $0["live"] as? Bool == true }
        #expect(snapshot.count == 1 && snapshot.first?["key"] as? String == key, "snapshot: \(snapshot)")
        #expect(events("snapshot-done").count == 1)
        #expect(live.contains { $0["op"] as? String == "PUT" && $0["key"] as? String == key }, "live: \(live)")
        #expect(live.last?["op"] as? String == "DEL" && live.last?["key"] as? String == key, "live: \(live)")

        let refused = Set(events("refused").compactMap { $0["what"] as? String })
        let allowed = events("allowed").compactMap { $0["what"] as? String }
        #expect(allowed.isEmpty, "the server let personalization do: \(allowed)")
        for what in [
            "subscribe _INBOX.>", "subscribe >", "subscribe _INBOX_relay.>", "subscribe _INBOX_projector-scores.>",
            "subscribe _INBOX_reprise.>", "subscribe events.>", "put", "delete", "purge", "durable consumer",
            "EVENTS stream info", "EVENTS message get", "EVENTS consumer", "platform API", "publish events", "delete the mirror",
        ] {
            #expect(refused.contains(what), "not refused: \(what)")
        }
        let done = try #require(events("done").first)
        #expect(done["overheard"] as? Int == 0, "overheard: \(done["overheard_subjects"] ?? [])")

        // The attempts were made: each consumer was created, or refused.
        let planted = Set(events("planted").compactMap { $0["target"] as? String })
        for target in ["events.forged", "$JS.REPRISE.API.CONSUMER.CREATE.KV_scores", "$JS.FC.KV_scores.forged"] {
            #expect(planted.contains(target) || refused.contains("deliver to \(target)"), "no attempt to deliver to \(target)")
        }
        // Whatever its consumers delivered, EVENTS holds the log and nothing else (a foreign
        // message would also have stopped the relay).
        let logged = try await pool.query("SELECT count(*)::bigint FROM events").first?.decode(Int64.self, at: 0) ?? -1
        try await waitFor("EVENTS to hold exactly the \(logged) events of the log") {
            try await js.streamInfo(name: "EVENTS").state.messages == UInt64(logged)
        }
    }

    /// The C client (libnats 3.4.1, through the NATS module) as personalization: get and
    /// watch work on the copy of the bucket in its own account.
    private static func watchWithLibnats(key: String, track: String, logger: Logger) async throws {
        let url = TestEnvironment.natsURL(user: "personalization", password: "personalization-dev")
        try await NATSConnection.withConnection(url: url, name: "personalization-libnats", logger: logger) { connection in
            let bucket = try await connection.jetStream().keyValue(bucket: "scores")
            #expect(try await bucket.get(key: key)?.value.isEmpty == false)
            let watch = try await bucket.watch(keys: "*.home.\(track)")
            var events = watch.makeAsyncIterator()
            let first = try await events.next()
            let second = try await events.next()
            watch.stop()
            guard case .entry(let entry) = first else {
                Issue.record("libnats watch: expected the current value first, got \(String(describing: first))")
                return
            }
            #expect(entry.key == key)
            #expect(second == .initialValuesDone)
        }
    }

    private static func envelope() -> CommandEnvelope {
        CommandEnvelope(commandID: UUID().uuidString, correlationID: UUID(), actor: "label-7", issuedAt: "2026-11-21T12:00:00Z")
    }

    private static func book(_ handler: CampaignCommandHandler, campaign: CampaignID, track: String) async throws {
        _ = try await handler.tracks.assign(try TrackID(track), to: "label-7", envelope: envelope())
        try await handler.handle(.create(CreateCampaign(
            campaignID: campaign, ownerID: "label-7", name: "Winter single", objective: .reach,
            budget: Money(amountMinor: 1_000_000, currency: "EUR"),
            flight: Flight(start: "2026-12-01T00:00:00Z", end: "2026-12-31T00:00:00Z"), pacingMode: .even
        )), envelope: envelope())
        try await handler.handle(.addSubcampaign(AddSubcampaign(campaignID: campaign, subcampaign: NewSubcampaign(
            id: "sub-1", targeting: Targeting(markets: ["SE"], surfaces: ["home"], segments: ["superfans"]),
            pricing: .cpm(450), shareBounds: .unbounded, promotedItem: .track(try TrackID(track))
        ))), envelope: envelope())
        try await handler.handle(.activate(campaign), envelope: envelope())
    }

    private static func reportDelivery(_ handler: CampaignCommandHandler, campaign: CampaignID, number: Int) async throws {
        try await handler.handle(.reportDelivery(ReportDelivery(campaignID: campaign, report: DeliveryReport(
            reportID: try ReportID("rep-\(number)"), subcampaignID: "sub-1", from: "2026-12-01T00:00:00Z", to: "2026-12-02T00:00:00Z",
            impressions: 1_000, reachEstimate: 800, clicks: 10, conversions: 1, spend: Money(amountMinor: 10_000, currency: "EUR")
        ))), envelope: envelope())
    }

    /// The platform's bucket, once the scores projector created it.
    private static func waitForBucket(_ js: JetStreamContext) async throws -> KeyValueBucket {
        var bucket: KeyValueBucket?
        try await waitFor("the scores bucket") {
            bucket = try? await js.keyValue(bucket: "scores")
            return bucket != nil
        }
        return try #require(bucket)
    }

    private static func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw WaitExpired(what: what) }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

struct WaitExpired: Error, CustomStringConvertible {
    let what: String
    var description: String { "gave up waiting for \(what) after 60 s" }
}

struct ClientExited: Error, CustomStringConvertible {
    let printed: String
    let errors: String
    var description: String {
        "the Python client exited early (python3 and nats-py come from ops/install.sh); it printed: \(printed) stderr: \(errors)"
    }
}

/// A script run with python3, its stdout read as JSON lines.
final class PythonClient: Sendable {
    private let process: Process
    private let output: FileHandle
    private let errors: Pipe
    private let seen = LockedLines()

    init(script: URL, arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path] + arguments
        let pipe = Pipe()
        errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        output = pipe.fileHandleForReading
        try process.run()
    }

    var status: Int32 { process.isRunning ? -1 : process.terminationStatus }
    var errorOutput: String { String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self) }

    func terminate() { if process.isRunning { process.terminate() } }

    /// Reads until a line satisfies `condition`, or the client exits (a failure).
    func waitForLine(_ condition: @escaping @Sendable ([String: Any]) -> Bool) async throws {
        while !seen.lines.contains(where: condition) {
            let chunk = try await Self.offload { [output] in output.availableData }
            guard !chunk.isEmpty else {
                // python3 or nats-py missing ends here too: a failure, never a skip.
                throw ClientExited(printed: seen.text, errors: errorOutput)
            }
            seen.append(chunk)
        }
    }

    /// Reads the rest of the output and waits for the client to exit.
    func finish() async throws -> [[String: Any]] {
        let rest = try await Self.offload { [output, process] in
            let data = output.readDataToEndOfFile()
            process.waitUntilExit()
            return data
        }
        seen.append(rest)
        return seen.lines
    }

    /// Blocking reads run on a thread of their own, never on the cooperative pool.
    private static func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// The output read so far, split into JSON lines.
private final class LockedLines: Sendable {
    private let state = Mutex<(buffer: Data, lines: [String])>((Data(), []))

    func append(_ data: Data) {
        state.withLock { state in
            state.buffer.append(data)
            while let newline = state.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                state.lines.append(String(decoding: state.buffer[state.buffer.startIndex..<newline], as: UTF8.self))
                state.buffer = Data(state.buffer[state.buffer.index(after: newline)...])
            }
        }
    }

    var text: String { state.withLock { $0.lines.joined(separator: "\n") } }

    var lines: [[String: Any]] {
        state.withLock { $0.lines }.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }
}
