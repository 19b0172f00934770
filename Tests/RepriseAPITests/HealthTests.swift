import Logging
import Postgres
import RepriseDomain
import RepriseMigrations
import RepriseTestSupport
import Testing

/// The probes answer for the process (live) and for its dependencies (ready) separately.
@Suite struct HealthTests {
    @Test func readyIs503WhilePostgresIsUnreachableAndLiveStays200() async throws {
        var logger = Logger(label: "test.health")
        logger.logLevel = .critical
        // Nothing listens on loopback port 1, so every connection attempt is refused at once.
        try await APIHarness.serve(
            url: "postgresql://reprise@127.0.0.1:1/reprise", logger: logger,
            migrations: try Migration.load(from: MigratedDatabase.repositoryMigrations), connectTimeout: .seconds(2)
        ) { api in
            let live = try await api.send(.get, "/health/live", key: nil)
            live.expectStatus(200)
            #expect(live.json["status"] == .string("live"))

            let ready = try await api.send(.get, "/health/ready", key: nil)
            ready.expectStatus(503)
            #expect(ready.contentType == "application/problem+json")
            #expect(ready.problemType == "not_ready")
            #expect(ready.json["status"] == .integer(503))

            // Commands fail the same way, as a problem and not a dropped connection.
            let command = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1"))
            command.expectStatus(503)
            #expect(command.contentType == "application/problem+json")
        }
    }

    @Test func readyIs503WhileAMigrationIsPending() async throws {
        try await MigratedDatabase.with { _, database in
            var migrations = try Migration.load(from: MigratedDatabase.repositoryMigrations)
            migrations.append(Migration(version: 9_999, name: "not_yet_applied", fileName: "9999_not_yet_applied.sql", sql: "SELECT 1"))
            try await APIHarness.serve(url: database.url, logger: database.logger, migrations: migrations) { api in
                try await api.send(.get, "/health/live", key: nil).expectStatus(200)
                let ready = try await api.send(.get, "/health/ready", key: nil)
                ready.expectStatus(503)
                #expect(ready.problemType == "not_ready")
            }
        }
    }

    @Test("a halted relay leaves the API up: commands are accepted, readiness reports the fan-out degraded")
    func haltedFanoutIsDegradedNotDown() async throws {
        try await APIHarness.with(fanout: true) { api in
            try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1")).expectStatus(201)
            let ready = try await api.send(.get, "/health/ready", key: nil)
            ready.expectStatus(200)
            #expect(ready.json["status"] == .string("ready"))

            // A message nobody should have published lands in the event stream.
            let jetStream = try #require(api.jetStream)
            try await waitUntil("the relay published the first event") {
                try await jetStream.streamInfo(name: api.stream).state.lastSequence >= 1
            }
            _ = try await jetStream.publish(subject: api.stream.lowercased() + ".campaign.created", payload: Array("{}".utf8))
            try await api.send(.post, "/campaigns", json: Bodies.create("cmp-2")).expectStatus(201)
            try await waitUntil("readiness reports the fan-out degraded") {
                let reply = try await api.send(.get, "/health/ready", key: nil)
                return reply.status == 200 && reply.json["status"] == .string("degraded")
            }
            let degraded = try await api.send(.get, "/health/ready", key: nil)
            let code = degraded.json["degraded"]?["fanout"]
            #expect(code.map { ["stream_ahead", "stream_diverged", "unexpected_ack"].map(JSONValue.string).contains($0) } == true, "\(degraded.body)")
            #expect(degraded.contentType == "application/json")

            // Still taking commands, into the log.
            try await api.send(.post, "/campaigns", json: Bodies.create("cmp-3")).expectStatus(201)
            #expect(try await api.version("cmp-3") == 1)
            let metrics = try await api.send(.get, "/metrics", key: nil)
            #expect(metrics.body.contains("reprise_relay_halted 1"))
        }
    }
}
