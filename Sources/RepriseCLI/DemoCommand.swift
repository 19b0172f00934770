import ArgumentParser
import Foundation
import Logging
import NATS
import NIOCore
import NIOHTTP1
import Postgres
import Prometheus
import RepriseAPI
import RepriseBench
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog
import RepriseEventStore
import RepriseMigrations
import ReprisePlatform
import RepriseProjections
import RepriseRelay
import RepriseScores
import RepriseScoring
import RepriseSettings
import ServiceLifecycle
import Synchronization

/// The platform end to end in one process: the HTTP API, the relay, a fast ticker and
/// the scores projector start; campaigns are booked over HTTP; their promotion scores are
/// watched in the NATS bucket, as a personalization system sees them, while time passes
/// and delivery is reported; at the end the scores are verified against a rebuild.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run API, relay, ticker and projector here, book campaigns over HTTP, and watch their scores change live."
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Seconds of live delivery to show.")
    var seconds: Double = 20

    @Option(name: .customLong("tick-interval"), help: "Seconds between clock ticks (the platform default is 60).")
    var tickInterval: Double = 2

    @Option(name: .customLong("migrations-dir"), help: "Folder of NNNN_name.sql files [env: REPRISE_MIGRATIONS_DIR]")
    var migrationsDirectory: String?

    func validate() throws {
        guard seconds >= 1, seconds <= 3_600 else { throw ValidationError("--seconds must be from 1 to 3600") }
        guard tickInterval >= 0.1, tickInterval <= 60 else { throw ValidationError("--tick-interval must be from 0.1 to 60") }
    }

    func run() async throws {
        let options = try common.resolve()
        var logger = options.makeLogger(label: "reprise.demo")
        // The services speak up only when something is wrong; the demo's own lines tell the story.
        logger.logLevel = max(logger.logLevel, .warning)
        let adminKey = "demo-" + UUID().lowercasedText
        var configuration = try PlatformConfiguration.resolve(
            SettingsResolver(environment: ProcessInfo.processInfo.environment),
            flags: common.platformFlags(migrationsDirectory: migrationsDirectory), components: [.relay, .projectors, .ticker]
        )
        configuration.components.insert(.api)
        configuration.natsClientName = "reprise-demo"
        configuration.postgresPoolSize = 8
        configuration.api = APIConfiguration(host: "127.0.0.1", port: 0)
        configuration.keyring = APIKeyring(keys: [adminKey: (.admin, [])])
        configuration.migrations = try Migration.load(
            from: SettingsResolver(environment: ProcessInfo.processInfo.environment)
                .resolve(Settings.migrationsDirectory, flag: migrationsDirectory).value
        )
        configuration.tickInterval = .milliseconds(Int64(tickInterval * 1000))

        let seconds = self.seconds, tickInterval = self.tickInterval
        do {
            try await Platform.withRunning(configuration, logger: logger) { platform in
                let port = try await platform.apiPort()
                say("Reprise demo: the HTTP API (127.0.0.1:\(port)), the relay, a ticker every \(tickInterval) s and the scores projector run in this process")
                guard let publisher = platform.scorePublisher else { throw CLIFailure("the scores projector is not running") }
                let script = DemoScript(port: port, key: adminKey, bucket: try await publisher.bucket(), started: .now)
                try await script.run(seconds: seconds)
            }
        } catch let failure as CLIFailure {
            throw failure
        } catch {
            throw CLIFailure("the platform stopped with an error: \(error)")
        }

        // What auditors would check: the scores equal a rebuild from the log, the log is intact.
        try await PostgresConnectionPool.withPool(configuration: configuration.postgres, maxConnections: 4, logger: logger) { pool in
            let report = try await ProjectionRebuilder(projection: PromotionScoresProjection(), pool: pool, logger: logger).verify()
            say(report.matches
                ? "verified: the scores equal their rebuild from the log at sequence \(report.checkpoint)"
                : "the scores DIFFER from their rebuild: \(report.firstDifference.map { "\($0)" } ?? "")")
            let chains = try await ChainVerifier(store: PostgresEventStore(pool: pool, logger: logger)).verify()
            say(chains.isIntact
                ? "verified: \(chains.eventsChecked) event(s) in \(chains.streamsChecked) stream(s), every hash chain intact"
                : "the log does NOT verify: \(chains.firstFailure.map(String.init(describing:)) ?? "")")
            if !report.matches || !chains.isIntact { throw ExitCode.failure }
        }
    }
}

/// Writes a line at once, so pipes and tests see the story as it happens.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// The client side of the demo: a campaign-management system booking over HTTP, and a
/// personalization system watching the score bucket.
struct DemoScript {
    let port: Int
    let key: String
    let bucket: KeyValueBucket
    let started: ContinuousClock.Instant

    struct Booking {
        let id: String
        let name: String
        let market: String
        let surface: String
        let track: String
    }

    func run(seconds: Double) async throws {
        let suffix = String(UUID().lowercasedText.prefix(6))
        let bookings = [
            Booking(id: "demo-\(suffix)-1", name: "Home takeover, Sweden", market: "SE", surface: "home", track: "trk-\(suffix)-1"),
            Booking(id: "demo-\(suffix)-2", name: "Showcase banner, Sweden", market: "SE", surface: "home", track: "trk-\(suffix)-2"),
            Booking(id: "demo-\(suffix)-3", name: "Discovery boost, Germany", market: "DE", surface: "search", track: "trk-\(suffix)-3"),
        ]
        let tracks = Set(bookings.map(\.track))
        let watch = try await bucket.watch()
        let removed = RemovedKeys()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            // Ends when the watch is stopped below; awaited when the group closes.
            tasks.addTask { try await self.printChanges(watch, onlyTracks: tracks, removed: removed) }
            do {
                try await book(bookings, seconds: seconds, removed: removed)
            } catch {
                watch.stop()
                throw error
            }
            watch.stop()
            try await tasks.waitForAll()
        }
    }

    private func book(_ bookings: [Booking], seconds: Double, removed: RemovedKeys) async throws {
        try await HTTPLoadClient.withConnection(host: "127.0.0.1", port: port) { http in
            let now = Date()
            // Flights start at booking, as the domain requires, and run past the score's one-hour
            // horizon, so that each tick still raises the need of a promotion behind its pace.
            let start = Self.iso(now), end = Self.iso(now.addingTimeInterval(65 * 60))
            say("assigning the three tracks to label-demo in the track catalog (admin):")
            for booking in bookings {
                try await send(http, .PUT, "/tracks/\(booking.track)", #"{"ownerId":"label-demo"}"#)
            }
            say("booking three campaigns over HTTP (flights \(start) to \(end), budgets 50,000.00 EUR):")
            for booking in bookings {
                try await post(http, "/campaigns", """
                    {"campaignId":"\(booking.id)","ownerId":"label-demo","name":"\(booking.name)","objective":"reach",\
                    "budget":{"amountMinor":5000000,"currency":"EUR"},"flight":{"start":"\(start)","end":"\(end)"},"pacingMode":"even"}
                    """)
                try await post(http, "/campaigns/\(booking.id)/subcampaigns", """
                    {"id":"main","targeting":{"markets":["\(booking.market)"],"surfaces":["\(booking.surface)"],"segments":["superfans"]},\
                    "pricing":{"model":"cpm","amountMinor":450},"promotedItem":{"kind":"track","id":"\(booking.track)"}}
                    """)
                try await post(http, "/campaigns/\(booking.id)/activate", nil)
            }
            say("scores in the bucket \(bucket.bucket), as personalization sees them; each tick moves time on, each report spends budget:")
            var report = 0
            let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
            while ContinuousClock.now < deadline {
                try await Task.sleep(for: .seconds(3))
                let booking = bookings[report % bookings.count]
                report += 1
                let spend = 150_000 * (report % 3 + 1)
                try await post(http, "/campaigns/\(booking.id)/delivery-reports", """
                    {"reportId":"r-\(report)","subcampaignId":"main","from":"\(start)","to":"\(Self.iso(Date()))",\
                    "impressions":\(spend / 5),"reachEstimate":\(spend / 7),"clicks":\(spend / 500),"conversions":\(spend / 5000),\
                    "spend":{"amountMinor":\(spend),"currency":"EUR"}}
                    """, label: "report \(Self.money(spend)) EUR delivered for \(booking.id)")
            }
            try await post(http, "/campaigns/\(bookings[2].id)/pause", nil, label: "pause \(bookings[2].id): its promotion is removed")
            // Until the watcher saw the removal: on a busy machine the fan-out may take a while.
            let paused = bookings[2].track
            let removalDeadline = ContinuousClock.now + .seconds(30)
            while !removed.contains(track: paused), ContinuousClock.now < removalDeadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            let listing = try await http.send(LoadRequest(
                method: .GET, path: "/scores?market=SE&surface=home", headers: ["Authorization": "Bearer \(key)"]
            ))
            say("GET /scores?market=SE&surface=home → \(listing.status): \(String(buffer: listing.body).prefix(300))")
        }
    }

    private func post(_ http: HTTPLoadConnection, _ path: String, _ json: String?, label: String? = nil) async throws {
        try await send(http, .POST, path, json, label: label)
    }

    private func send(
        _ http: HTTPLoadConnection, _ method: HTTPMethod, _ path: String, _ json: String?, label: String? = nil
    ) async throws {
        var headers: HTTPHeaders = ["Authorization": "Bearer \(key)"]
        if json != nil { headers.add(name: "Content-Type", value: "application/json") }
        let response = try await http.send(LoadRequest(
            method: method, path: path, headers: headers, body: json.map { ByteBuffer(string: $0) }
        ))
        say("  \(elapsed())  \(method.rawValue) \(path) → \(response.status)\(label.map { "  (\($0))" } ?? "")")
        guard (200..<300).contains(response.status) else {
            throw CLIFailure("\(method.rawValue) \(path) answered \(response.status): \(String(buffer: response.body))")
        }
    }

    private func printChanges(_ watch: KeyValueWatch, onlyTracks tracks: Set<String>, removed: RemovedKeys) async throws {
        var live = false
        for try await event in watch {
            guard case .entry(let entry) = event else {
                live = true
                continue
            }
            guard let track = entry.key.split(separator: ".").last.map(String.init), tracks.contains(track) else { continue }
            if entry.operation == .put {
                let object = try? JSONSerialization.jsonObject(with: Data(entry.value)) as? [String: Any]
                let score = (object?["scoreMicros"] as? Int).map { String(format: "%.6f", Double($0) / 1_000_000) } ?? "?"
                say("  \(elapsed())  \(live ? "score " : "now   ") \(entry.key)  \(score)  (campaign \(object?["campaignId"] ?? "?"))")
            } else {
                say("  \(elapsed())  removed \(entry.key)")
                removed.insert(track: track)
            }
        }
    }

    private func elapsed() -> String {
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        return String(format: "+%5.1fs", seconds)
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func money(_ minor: Int) -> String { String(format: "%.2f", Double(minor) / 100) }
}

/// The tracks whose score the demo's watcher saw removed.
private final class RemovedKeys: Sendable {
    private let tracks = Mutex(Set<String>())

    func insert(track: String) { _ = tracks.withLock { $0.insert(track) } }
    func contains(track: String) -> Bool { tracks.withLock { $0.contains(track) } }
}
