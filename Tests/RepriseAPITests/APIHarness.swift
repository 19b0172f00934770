import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NATS
import Postgres
import RepriseAPI
import RepriseScoring
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog
import RepriseEventStore
import RepriseMigrations
import RepriseProjections
import RepriseRelay
import ReprisePlatform
import RepriseTestSupport

/// The real server, over real HTTP on a free loopback port, on a fresh migrated schema.
struct APIHarness: Sendable {
    let client: TestClient
    let port: Int
    let handler: CampaignCommandHandler
    let store: PostgresEventStore
    let pool: PostgresConnectionPool
    /// The routes the server registered.
    let routes: [APIRoute]
    /// With `fanout`: the event stream the relay publishes to, and JetStream to reach it.
    let stream: String
    let jetStream: JetStreamContext?

    /// One key per role; the managers own `label-7` and `label-9`.
    enum Key {
        static let admin = "admin-secret"
        static let manager = "manager-secret"
        static let otherManager = "other-manager-secret"
        static let reporter = "reporter-secret"
        static let auditor = "auditor-secret"
    }

    static let keyring = APIKeyring(keys: [
        Key.admin: (.admin, []),
        Key.manager: (.campaignManager, ["label-7"]),
        Key.otherManager: (.campaignManager, ["label-9"]),
        Key.reporter: (.deliveryReporter, []),
        Key.auditor: (.auditor, []),
    ])

    /// What the stubbed scores read model holds: two tracks on home in SE.
    static let scores = [
        PublishedScore(market: "SE", surface: "home", track: "trk-1", scoreMicros: 512_345, campaignID: "cmp-1", subcampaignID: "sub-1"),
        PublishedScore(market: "SE", surface: "home", track: "trk-2", scoreMicros: 700_000, campaignID: "cmp-2", subcampaignID: "sub-1"),
    ]

    static let now: Timestamp = "2026-11-21T12:00:00Z"
    static let bodyLimit = 64 * 1024

    /// `storeOfServer` puts something in front of the real store the server's handler
    /// appends through (the conflict tests use it to let a rival writer in at a chosen moment).
    /// `fanout`: also run the relay and the projectors (on a stream and bucket of the
    /// test's own), for what reads projections, such as the campaign list.
    static func with(
        fanout: Bool = false, bodyLimit: Int = APIHarness.bodyLimit,
        storeOfServer: @escaping @Sendable (PostgresEventStore) -> any EventStore = { $0 },
        _ body: @Sendable (APIHarness) async throws -> Void
    ) async throws {
        // The platform has a pool of its own; this one only migrates.
        try await MigratedDatabase.with(maxConnections: 1) { _, database in
            try await serve(
                url: database.url, logger: database.logger, migrations: try Migration.load(from: MigratedDatabase.repositoryMigrations),
                fanout: fanout, bodyLimit: bodyLimit, storeOfServer: storeOfServer, body
            )
        }
    }

    /// The API as the platform builds it, on whatever database `url` reaches; ready when
    /// `migrations` are applied.
    static func serve(
        url: String, logger: Logger, migrations: [Migration], connectTimeout: Duration = .seconds(10), fanout: Bool = false,
        bodyLimit: Int = APIHarness.bodyLimit,
        storeOfServer: @escaping @Sendable (PostgresEventStore) -> any EventStore = { $0 },
        _ body: @Sendable (APIHarness) async throws -> Void
    ) async throws {
        let stream = TestEnvironment.uniqueName("A")
        let configuration = PlatformConfiguration(
            components: fanout ? [.api, .relay, .projectors] : [.api],
            postgres: PostgresConfiguration(url: url, connectTimeout: connectTimeout), postgresPoolSize: 4,
            natsURL: TestEnvironment.natsURL, natsClientName: "api-tests",
            relay: RelayConfiguration(streamName: stream, subjectPrefix: stream.lowercased(), pollInterval: .milliseconds(100)),
            projectors: ProjectorConfiguration(streamName: stream, subjectPrefix: stream.lowercased(), fetchTimeout: .milliseconds(100)),
            scores: .init(bucket: "S" + stream, subjectPrefix: stream.lowercased() + "_scores"),
            api: APIConfiguration(host: "127.0.0.1", port: 0, bodyLimit: bodyLimit), keyring: keyring,
            migrations: migrations, clock: { now }
        )
        let overrides = Platform.Overrides(
            commandStore: storeOfServer, scores: { market, surface in market == "SE" && surface == "home" ? Self.scores : [] }
        )
        try await Platform.withRunning(configuration, logger: logger, overrides: overrides) { platform in
            let port = try await platform.apiPort()
            let client = TestClient(host: "127.0.0.1", port: port)
            client.connect()
            let harness = APIHarness(
                client: client, port: port, handler: platform.commands, store: platform.store, pool: platform.pool,
                routes: platform.apiRoutes, stream: stream, jetStream: try platform.nats?.jetStream()
            )
            // What every test's subcampaign promotes (`Bodies.subcampaign`), held by label-7.
            // `try?`: the readiness tests run the API against a database that is not there.
            _ = try? await platform.commands.tracks.assign(
                "trk-1", to: "label-7", envelope: CommandEnvelope(commandID: "assign-trk-1", correlationID: UUID(), actor: "admin", issuedAt: now)
            )
            do {
                try await body(harness)
            } catch {
                try? await client.shutdown()
                try? await Self.removeFanout(of: platform, stream: stream)
                throw error
            }
            try await client.shutdown()
            try await Self.removeFanout(of: platform, stream: stream)
        }
    }

    private static func removeFanout(of platform: Platform, stream: String) async throws {
        guard let jetStream = try platform.nats?.jetStream() else { return }
        try? await jetStream.deleteStream(name: stream)
        try? await jetStream.deleteKeyValue(bucket: "S" + stream)
    }

    /// Sends a request; `json` is sent as `application/json` unless headers say otherwise.
    func send(
        _ method: HTTPRequest.Method, _ path: String, key: String? = Key.admin, json: String? = nil,
        headers extra: [String: String] = [:]
    ) async throws -> Reply {
        var headers = HTTPFields()
        if let key { headers[.authorization] = "Bearer \(key)" }
        if json != nil { headers[.contentType] = "application/json" }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        let response = try await client.execute(
            TestClient.Request(path, method: method, authority: "localhost", headers: headers, body: json.map { ByteBuffer(string: $0) })
        )
        return Reply(status: response.head.status.code, headers: response.head.headerFields, body: response.body.map { String(buffer: $0) } ?? "")
    }

    /// A POST of JSON as admin on a connection of its own, so that concurrent calls reach the
    /// server at once (the harness's client has one connection, which serializes them).
    func postOnOwnConnection(_ path: String, json: String, headers extra: [String: String] = [:]) async throws -> Reply {
        let connection = TestClient(host: "127.0.0.1", port: port)
        connection.connect()
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(Key.admin)"
        headers[.contentType] = "application/json"
        headers[.connection] = "close"
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        do {
            let response = try await connection.execute(
                TestClient.Request(path, method: .post, authority: "localhost", headers: headers, body: ByteBuffer(string: json))
            )
            try await connection.shutdown()
            return Reply(status: response.head.status.code, headers: response.head.headerFields, body: response.body.map { String(buffer: $0) } ?? "")
        } catch {
            try? await connection.shutdown()
            throw error
        }
    }

    /// Every event in this test's log, whatever its stream, but the harness's own
    /// assignment of trk-1.
    func eventCount() async throws -> Int {
        try await pool.query("SELECT count(*) FROM events WHERE stream_id <> 'track-trk-1'").first?.decode(Int.self, at: 0) ?? 0
    }

    /// The campaign's stream version: what the tests check "appended nothing" against.
    func version(_ id: String) async throws -> Int {
        try await handler.load(CampaignID(id)).1
    }
}

struct Reply: Sendable {
    let status: Int
    let headers: HTTPFields
    let body: String

    var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8))) ?? .null }
    var eTag: String? { headers[.eTag] }
    var contentType: String? { headers[.contentType] }
    var problemType: String? {
        guard case .string(let type) = json["type"] else { return nil }
        return type.replacingOccurrences(of: "https://reprise.dev/problems/", with: "")
    }
    var problemField: String? {
        guard case .string(let field) = json["field"] else { return nil }
        return field
    }
}

/// Request bodies the tests send.
enum Bodies {
    static func create(_ id: String, owner: String = "label-7", budget: String = "1000000") -> String {
        """
        {"campaignId":"\(id)","ownerId":"\(owner)","name":"Winter single","objective":"reach",\
        "budget":{"amountMinor":\(budget),"currency":"EUR"},\
        "flight":{"start":"2026-12-01T00:00:00Z","end":"2026-12-31T00:00:00Z"},"pacingMode":"even"}
        """
    }

    static let subcampaign = """
        {"id":"sub-1","targeting":{"markets":["SE","NO"],"surfaces":["home"],"segments":["superfans"]},\
        "pricing":{"model":"cpm","amountMinor":450},"promotedItem":{"kind":"track","id":"trk-1"}}
        """

    static func report(_ id: String, spend: Int = 1_000) -> String {
        """
        {"reportId":"\(id)","subcampaignId":"sub-1","from":"2026-12-01T00:00:00Z","to":"2026-12-01T01:00:00Z",\
        "impressions":1000,"reachEstimate":800,"clicks":10,"conversions":1,"spend":{"amountMinor":\(spend),"currency":"EUR"}}
        """
    }
}

extension APIHarness {
    /// Creates `id` (owned by `label-7`) with one subcampaign and activates it: version 3.
    func activeCampaign(_ id: String) async throws {
        _ = try await send(.post, "/campaigns", json: Bodies.create(id))
        _ = try await send(.post, "/campaigns/\(id)/subcampaigns", json: Bodies.subcampaign)
        _ = try await send(.post, "/campaigns/\(id)/activate")
    }
}
