import Foundation
import Logging
import NATS
import RepriseTestSupport
import Testing

/// `reprise serve` as an operator runs it: a keys file made with `reprise api-key hash`, ready
/// once PostgreSQL answers, and a clean exit on SIGTERM.
@Suite struct ServeCommandTests {
    @Test func servesUntilSIGTERMAndExitsCleanly() async throws {
        try await MigratedDatabase.with { _, database in
            let hash = try await RepriseBinary.run(["api-key", "hash", "operator-key"])
            #expect(hash.status == 0)
            let keysFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(database.schema).keys")
            try "\(hash.output.trimmingCharacters(in: .whitespacesAndNewlines)) admin\n".write(to: keysFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: keysFile) }

            let port = Int.random(in: 20_000..<40_000)
            let server = Process()
            server.executableURL = RepriseBinary.url
            server.arguments = [
                "serve", "--components", "api", "--http-port", "\(port)", "--api-keys-file", keysFile.path, "--postgres-url", database.url,
                "--migrations-dir", MigratedDatabase.repositoryMigrations, "--log-level", "warning",
            ]
            // A stream and bucket of this test's own: the shared server's EVENTS may hold
            // another run's log, which the relay rightly refuses to continue.
            let stream = TestEnvironment.uniqueName("SERVE")
            var environment = ProcessInfo.processInfo.environment
            environment["REPRISE_NATS_EVENTS_STREAM"] = stream
            environment["REPRISE_NATS_EVENTS_PREFIX"] = stream.lowercased()
            environment["REPRISE_NATS_SCORES_BUCKET"] = "S" + stream
            environment["REPRISE_NATS_SCORES_PREFIX"] = stream.lowercased() + "_scores"
            server.environment = environment
            defer {
                Task {
                    let nats = try await NATSConnection.connect(url: TestEnvironment.natsURL, name: "serve-tests", logger: Logger(label: "test"))
                    try? await nats.jetStream().deleteStream(name: stream)
                    try? await nats.jetStream().deleteKeyValue(bucket: "S" + stream)
                    await nats.close()
                }
            }
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            defer { if server.isRunning { server.terminate() } }

            var ready = ""
            for _ in 0..<100 where ready != "200" {
                try await Task.sleep(for: .milliseconds(100))
                ready = try await Self.status("http://127.0.0.1:\(port)/health/ready")
            }
            #expect(ready == "200")
            #expect(try await Self.status("http://127.0.0.1:\(port)/campaigns/cmp-1", key: "operator-key") == "404")
            #expect(try await Self.status("http://127.0.0.1:\(port)/campaigns/cmp-1", key: "wrong") == "401")

            server.terminate()
            for _ in 0..<100 where server.isRunning { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!server.isRunning)
            #expect(server.terminationReason == .exit)
            #expect(server.terminationStatus == 0)
        }
    }

    /// The status code curl gets, or "000" when nothing answers.
    private static func status(_ url: String, key: String? = nil) async throws -> String {
        try await RepriseBinary.offload { try statusBlocking(url, key: key) }
    }

    private static func statusBlocking(_ url: String, key: String?) throws -> String {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2"]
            + (key.map { ["-H", "Authorization: Bearer \($0)"] } ?? []) + [url]
        let output = Pipe()
        curl.standardOutput = output
        try curl.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
