import Foundation
import Logging
import NATS
import NIOHTTP1
import RepriseBench
import RepriseTestSupport
import Testing

/// `reprise serve` as an operator runs it: a keys file made with `reprise api-key hash`, ready
/// once PostgreSQL answers, and a clean exit on SIGTERM.
@Suite(.timeLimit(.minutes(5))) struct ServeCommandTests {
    @Test func servesUntilSIGTERMAndExitsCleanly() async throws {
        try await MigratedDatabase.with { _, database in
            let hash = try await RepriseBinary.run(["api-key", "hash"], input: "operator-key\n")
            #expect(hash.status == 0)
            let keysFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(database.schema).keys")
            try "\(hash.output.trimmingCharacters(in: .whitespacesAndNewlines)) admin\n".write(to: keysFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: keysFile) }

            try await Self.withPrivateFanout { stream in
                let port = Int.random(in: 20_000..<40_000)
                let server = Process()
                server.executableURL = RepriseBinary.url
                server.arguments = [
                    "serve", "--components", "api", "--http-port", "\(port)", "--api-keys-file", keysFile.path, "--postgres-url", database.url,
                    "--migrations-dir", MigratedDatabase.repositoryMigrations, "--log-level", "warning",
                ]
                var environment = ProcessInfo.processInfo.environment
                environment["REPRISE_NATS_EVENTS_STREAM"] = stream
                environment["REPRISE_NATS_EVENTS_PREFIX"] = stream.lowercased()
                environment["REPRISE_NATS_SCORES_BUCKET"] = "S" + stream
                environment["REPRISE_NATS_SCORES_PREFIX"] = stream.lowercased() + "_scores"
                server.environment = environment
                server.standardOutput = FileHandle.nullDevice
                server.standardError = FileHandle.nullDevice
                try server.run()
                defer { if server.isRunning { server.terminate() } }

                var ready: Int?
                for _ in 0..<100 where ready != 200 {
                    try await Task.sleep(for: .milliseconds(100))
                    ready = await Self.status(port: port, "/health/ready")
                }
                #expect(ready == 200)
                #expect(await Self.status(port: port, "/campaigns/cmp-1", key: "operator-key") == 404)
                #expect(await Self.status(port: port, "/campaigns/cmp-1", key: "wrong") == 401)

                server.terminate()
                for _ in 0..<100 where server.isRunning { try await Task.sleep(for: .milliseconds(50)) }
                #expect(!server.isRunning)
                #expect(server.terminationReason == .exit)
                #expect(server.terminationStatus == 0)
            }
        }
    }

    /// Runs `body` with a stream and bucket name of this test's own, and deletes both after it,
    /// whether it threw or not: the shared server's EVENTS may hold another run's log, which
    /// the relay rightly refuses to continue.
    private static func withPrivateFanout(_ body: (String) async throws -> Void) async throws {
        let stream = TestEnvironment.uniqueName("SERVE")
        let outcome: Result<Void, any Error>
        do {
            try await body(stream)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        let nats = try await NATSConnection.connect(url: TestEnvironment.natsURL, name: "serve-tests", logger: Logger(label: "test"))
        try? await nats.jetStream().deleteStream(name: stream)
        try? await nats.jetStream().deleteKeyValue(bucket: "S" + stream)
        await nats.close()
        try outcome.get()
    }

    /// The status the server answers a GET with, or nil when nothing answers.
    private static func status(port: Int, _ path: String, key: String? = nil) async -> Int? {
        var headers = HTTPHeaders()
        if let key { headers.add(name: "Authorization", value: "Bearer \(key)") }
        return try? await HTTPLoadClient.withConnection(host: "127.0.0.1", port: port) { http in
            try await http.send(LoadRequest(method: .GET, path: path, headers: headers)).status
        }
    }
}
