import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import RepriseAPI
import RepriseDomain
import RepriseEventLog
import RepriseMigrations
import ReprisePlatform
import RepriseTestSupport
import Testing

/// The pool and the server protect themselves: anonymous probes never reach the command
/// pool, a caller that cannot get a connection is told to come back, and one open
/// transaction is measured.
@Suite(.timeLimit(.minutes(2))) struct PoolProtectionTests {
    /// The API alone, as the platform builds it, with a command pool of `poolSize`.
    private func withPlatform(
        poolSize: Int, waitTimeout: Duration? = nil, configure: (inout PlatformConfiguration) -> Void = { _ in },
        _ body: @Sendable (Platform, MigratedDatabase, Int) async throws -> Void
    ) async throws {
        try await MigratedDatabase.with(maxConnections: 1) { _, database in
            var configuration = PlatformConfiguration(
                components: [.api],
                postgres: PostgresConfiguration(url: database.url), postgresPoolSize: poolSize,
                postgresPoolMaxWaiters: 1_000, postgresPoolWaitTimeout: waitTimeout,
                natsURL: TestEnvironment.natsURL,
                api: APIConfiguration(host: "127.0.0.1", port: 0), keyring: APIHarness.keyring,
                migrations: try Migration.load(from: MigratedDatabase.repositoryMigrations), clock: { APIHarness.now }
            )
            configuration.horizonInterval = .milliseconds(100)
            configure(&configuration)
            try await Platform.withRunning(configuration, logger: database.logger) { platform in
                try await body(platform, database, try await platform.apiPort())
            }
        }
    }

    private static func request(
        _ client: TestClient, _ method: HTTPRequest.Method, _ path: String, json: String? = nil
    ) async throws -> (status: Int, headers: HTTPFields, body: String) {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(APIHarness.Key.admin)"
        if json != nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(
            TestClient.Request(path, method: method, authority: "localhost", headers: headers, body: json.map { ByteBuffer(string: $0) })
        )
        return (response.head.status.code, response.head.headerFields, response.body.map { String(buffer: $0) } ?? "")
    }

    private static func withClient<R: Sendable>(port: Int, _ body: (TestClient) async throws -> R) async throws -> R {
        let client = TestClient(host: "127.0.0.1", port: port)
        client.connect()
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test func readinessAnswersWhileEveryCommandConnectionIsBusy() async throws {
        try await withPlatform(poolSize: 1) { platform, _, port in
            try await platform.pool.withConnection { _ in
                // The one command connection is lent out: the probe must not wait for it.
                try await Self.withClient(port: port) { client in
                    let ready = try await Self.request(client, .get, "/health/ready")
                    #expect(ready.status == 200)
                }
            }
        }
    }

    @Test func readinessIsKeptForAboutASecond() async throws {
        try await withPlatform(poolSize: 1) { _, database, port in
            try await Self.withClient(port: port) { client in
                #expect(try await Self.request(client, .get, "/health/ready").status == 200)
                let answeredAt = ContinuousClock.now
                // The database stops being ready: its newest migration is no longer recorded.
                _ = try await database.withConnection { connection in
                    try await connection.query(
                        "DELETE FROM reprise_schema_migrations WHERE version = (SELECT max(version) FROM reprise_schema_migrations)"
                    )
                }
                let soon = try await Self.request(client, .get, "/health/ready").status
                // Within the second, the kept answer (checked only if this machine was quick enough).
                if ContinuousClock.now - answeredAt < .milliseconds(800) { #expect(soon == 200) }
                try await Task.sleep(for: .milliseconds(1_500))
                #expect(try await Self.request(client, .get, "/health/ready").status == 503)
            }
        }
    }

    @Test func aRequestThatCannotGetAConnectionGets503WithRetryAfter() async throws {
        try await withPlatform(poolSize: 1, waitTimeout: .milliseconds(200)) { platform, _, port in
            try await platform.pool.withConnection { _ in
                try await Self.withClient(port: port) { client in
                    let refused = try await Self.request(client, .post, "/campaigns", json: Bodies.create("cmp-busy"))
                    #expect(refused.status == 503)
                    #expect(refused.headers[.contentType] == "application/problem+json")
                    #expect(refused.headers[.retryAfter] == "1")
                }
            }
            // Once the connection is back, the same command goes through.
            try await Self.withClient(port: port) { client in
                let status = try await Self.request(client, .post, "/campaigns", json: Bodies.create("cmp-busy")).status
                #expect(status == 201)
            }
        }
    }

    @Test func sessionsHaveAStatementTimeoutAndIdleHTTPConnectionsAreClosed() async throws {
        let configure: (inout PlatformConfiguration) -> Void = { configuration in
            configuration.postgres.statementTimeout = .milliseconds(300)
            configuration.api.idleTimeout = .seconds(1)
        }
        try await withPlatform(poolSize: 1, configure: configure) { platform, _, port in
            let timeout = try await platform.pool.query("SHOW statement_timeout")
            #expect(try timeout.first?.decode(String.self, at: 0) == "300ms")

            // A connection that never sends a request is closed by the server after the idle
            // timeout: a request sent on it later has nowhere to go.
            let idle = TestClient(host: "127.0.0.1", port: port)
            idle.connect()
            try await Task.sleep(for: .seconds(3))
            await #expect(throws: (any Error).self) {
                _ = try await Self.request(idle, .get, "/health/live")
            }
            try? await idle.shutdown()
            // A busy connection is not: one used at once answers.
            try await Self.withClient(port: port) { client in
                let status = try await Self.request(client, .get, "/health/live").status
                #expect(status == 200)
            }
        }
    }

    @Test func aFloodOfReadinessProbesLeavesCommandsTheirLatency() async throws {
        try await withPlatform(poolSize: 4) { _, _, port in
            /// Creates `count` campaigns one after another; their latencies, sorted.
            @Sendable func commands(_ prefix: String, count: Int) async throws -> [Duration] {
                try await Self.withClient(port: port) { client in
                    var latencies: [Duration] = []
                    for n in 0..<count {
                        let start = ContinuousClock.now
                        let reply = try await Self.request(client, .post, "/campaigns", json: Bodies.create("\(prefix)-\(n)"))
                        latencies.append(ContinuousClock.now - start)
                        #expect(reply.status == 201)
                    }
                    return latencies.sorted()
                }
            }
            func p99(_ sorted: [Duration]) -> Duration { sorted[min(sorted.count - 1, sorted.count * 99 / 100)] }

            let unloaded = try await commands("quiet", count: 60)
            let (loaded, probes) = try await withThrowingTaskGroup(of: (latencies: [Duration]?, probes: Int).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let probes = try await Self.withClient(port: port) { client in
                            var probes = 0
                            while !Task.isCancelled {
                                let ready: Int
                                do {
                                    ready = try await Self.request(client, .get, "/health/ready").status
                                } catch {
                                    // The flood is stopped by cancelling it, mid-request.
                                    if Task.isCancelled { break }
                                    throw error
                                }
                                #expect(ready == 200)
                                probes += 1
                            }
                            return probes
                        }
                        return (nil, probes)
                    }
                }
                group.addTask { (try await commands("busy", count: 60), 0) }
                var latencies: [Duration] = []
                var probes = 0
                while let result = try await group.next() {
                    probes += result.probes
                    if let done = result.latencies {
                        latencies = done
                        group.cancelAll()
                    }
                }
                return (latencies, probes)
            }
            #expect(loaded.count == 60)
            #expect(probes > 100)
            print("readiness flood: \(probes) probes; command p99 \(p99(loaded)) under the flood, \(p99(unloaded)) without")
            // Generous: the flood shares two cores with the commands, but must not queue them.
            #expect(p99(loaded) < p99(unloaded) * 10 + .milliseconds(500), "p99 \(p99(loaded)) loaded against \(p99(unloaded)) unloaded")
        }
    }

    @Test func anOpenTransactionHoldsFollowersBackAndTheHorizonGaugeShowsIt() async throws {
        try await withPlatform(poolSize: 2) { platform, database, port in
            try await Self.withClient(port: port) { client in
                let status = try await Self.request(client, .post, "/campaigns", json: Bodies.create("cmp-before")).status
                #expect(status == 201)
            }
            // Other tests' transactions hold the same cluster's horizon: wait until it passed this one.
            try await Self.waitUntilInLog(platform, "cmp-before")
            try await database.withConnection { holder in
                // A transaction that took an id and stays open: the horizon stops at it.
                try await holder.query("BEGIN")
                try await holder.query("SELECT pg_current_xact_id()")
                try await Self.withClient(port: port) { client in
                    let status = try await Self.request(client, .post, "/campaigns", json: Bodies.create("cmp-behind")).status
                #expect(status == 201)
                }
                // Held only briefly: the horizon is the whole cluster's, so this holds back the
                // followers of every test running beside this one too.
                let first = try await Self.horizonAge(port: port, atLeast: 0.05)
                try await Task.sleep(for: .milliseconds(300))
                let later = try await Self.horizonAge(port: port, atLeast: first + 0.25)
                #expect(later >= first + 0.25)

                // The relay's log read stops at the horizon: the later campaign is not there yet.
                let streams = try await Self.streamsInLog(platform)
                #expect(streams.contains(try Self.stream("cmp-before")))
                #expect(!streams.contains(try Self.stream("cmp-behind")))

                try await holder.query("COMMIT")
            }
            // Once it ends (and whatever other tests hold meanwhile), the read goes on.
            try await Self.waitUntilInLog(platform, "cmp-behind")
        }
    }

    private static func waitUntilInLog(_ platform: Platform, _ campaign: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try await !streamsInLog(platform).contains(try stream(campaign)) {
            guard ContinuousClock.now < deadline else {
                Issue.record("\(campaign) never became readable in the log")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    private static func stream(_ campaign: String) throws -> String {
        Campaign.streamID(for: try CampaignID(campaign))
    }

    private static func streamsInLog(_ platform: Platform) async throws -> Set<String> {
        Set(try await platform.store.readLog(after: nil, limit: 1_000).events.map(\.streamID.rawValue))
    }

    /// The gauge's value on `/metrics` once it reaches `atLeast` (or after ten seconds, whatever it is).
    private static func horizonAge(port: Int, atLeast: Double) async throws -> Double {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let metrics = try await withClient(port: port) { try await request($0, .get, "/metrics").body }
            let value = gauge("reprise_postgres_horizon_age_seconds", in: metrics) ?? 0
            if value >= atLeast || ContinuousClock.now > deadline { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private static func gauge(_ name: String, in exposition: String) -> Double? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }
}
