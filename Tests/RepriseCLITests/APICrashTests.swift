import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import Postgres
import RepriseBench
import RepriseTestSupport
import Synchronization
import Testing

/// Issue 11, item 1: pause and resume from many clients, some requests sent twice at once
/// with one `Idempotency-Key`, and `reprise serve` killed with `kill -9` mid-load; clients
/// resend with the same key until they get an answer. Every copy and every resend of a
/// request must get one answer, and a 409 must mean that nothing was appended.
@Suite(.timeLimit(.minutes(5))) struct APICrashTests {
    static let key = "crash-test-key"
    /// SHA-256 of `key`, as the keys file holds it.
    static let keyHash = "9fbc0a08a61344e328912d7914507a5ebf2bef92cfceee036d81d2b3a7cb912f"
    static let campaigns = (0..<6).map { "cmp-\($0)" }

    @Test func retriesAcrossKillsGetTheFirstAnswer() async throws {
        try await MigratedDatabase.with { pool, database in
            let keysFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(database.schema).keys")
            try "\(Self.keyHash) admin\n".write(to: keysFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: keysFile) }
            let server = Server(
                port: Int.random(in: 20_000..<40_000),
                arguments: [
                    "serve", "--components", "api", "--api-keys-file", keysFile.path, "--postgres-url", database.url,
                    "--migrations-dir", MigratedDatabase.repositoryMigrations, "--log-level", "warning",
                ]
            )
            try await server.start()
            // The promoted track must be the owner's in the track catalog.
            #expect(try await server.send("/tracks/trk-1", method: .PUT, body: #"{"ownerId":"label-7"}"#).status == 200)
            for id in Self.campaigns {
                #expect(try await server.send("/campaigns", body: Self.create(id)).status == 201)
                #expect(try await server.send("/campaigns/\(id)/subcampaigns", body: Self.subcampaign).status == 201)
                #expect(try await server.send("/campaigns/\(id)/activate").status == 200)
            }

            let tally = Tally()
            let perWorker = 24, workers = 16
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var random = SystemRandomNumberGenerator()
                        for n in 0..<perWorker {
                            let request = Request(
                                path: "/campaigns/\(Self.campaigns.randomElement(using: &random)!)/\(Bool.random(using: &random) ? "pause" : "resume")",
                                key: "w\(worker)-\(n)", correlation: UUID().uuidString.lowercased()
                            )
                            // One request in three goes in twice at once.
                            let copies = n % 3 == 0 ? 2 : 1
                            let replies = try await withThrowingTaskGroup(of: Answer.self) { copiesGroup in
                                for _ in 0..<copies { copiesGroup.addTask { try await server.sendUntilAnswered(request) } }
                                return try await copiesGroup.reduce(into: [Answer]()) { $0.append($1) }
                            }
                            tally.record(request, replies)
                        }
                    }
                }
                group.addTask {
                    // Four kills, spread over the load, each while requests are in flight.
                    for kill in 1...4 {
                        while tally.answered < kill * workers * perWorker / 5 {
                            try await Task.sleep(for: .milliseconds(5))
                        }
                        try await server.kill9()
                        try await server.start()
                    }
                }
                try await group.waitForAll()
            }
            try await server.stop()

            let all = tally.answers
            #expect(all.count == workers * perWorker)
            var refusedButApplied: [String] = []
            var answeredDifferently: [String] = []
            for (correlation, replies) in all {
                if Set(replies.map { "\($0.status) \($0.body)" }).count > 1 { answeredDifferently.append(correlation) }
                let applied = try await pool.query("SELECT count(*) FROM events WHERE correlation_id = \(correlation)::uuid")
                    .first?.decode(Int.self, at: 0) ?? 0
                #expect(applied <= 1)
                for reply in replies where reply.status == 409 && applied > 0 { refusedButApplied.append("\(reply.path) \(correlation)") }
                for reply in replies where reply.status == 200 && applied == 0 { Issue.record("200 without an event: \(reply.path) \(correlation)") }
                for reply in replies where ![200, 409].contains(reply.status) { Issue.record("\(reply.status) \(reply.body)") }
            }
            #expect(answeredDifferently == [])
            #expect(refusedButApplied == [])
        }
    }

    /// Every answer each request got, by its correlation id.
    final class Tally: Sendable {
        private let state = Mutex<[String: [Answer]]>([:])

        func record(_ request: Request, _ replies: [Answer]) {
            state.withLock { $0[request.correlation, default: []] += replies.map { $0.with(request) } }
        }

        var answers: [String: [Answer]] { state.withLock { $0 } }
        var answered: Int { state.withLock { $0.count } }
    }

    struct Request: Sendable {
        let path: String
        let key: String
        let correlation: String
    }

    struct Answer: Sendable {
        let status: Int
        let body: String
        var path = ""

        func with(_ request: Request) -> Answer { Answer(status: status, body: body, path: request.path) }
    }

    /// `reprise serve` as a child process, started again after each kill on the same port.
    final class Server: Sendable {
        let port: Int
        let arguments: [String]
        private let process = Mutex<Process?>(nil)

        init(port: Int, arguments: [String]) {
            self.port = port
            self.arguments = arguments + ["--http-port", "\(port)"]
        }

        func start() async throws {
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("api-crash-\(port).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let output = try FileHandle(forWritingTo: log)
            defer { try? output.close() }
            let server = Process()
            server.executableURL = RepriseBinary.url
            server.arguments = arguments
            server.standardOutput = output
            server.standardError = output
            try server.run()
            process.withLock { $0 = server }
            // Slow on a busy machine; a start that fails (the port taken) ends the wait.
            for _ in 0..<600 where server.isRunning {
                if (try? await status("/health/ready")) == 200 { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            let written = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw HTTPLoadError(.connectionClosed, "reprise serve did not become ready: \(written.suffix(2_000))")
        }

        func kill9() async throws {
            guard let server = process.withLock({ $0 }) else { return }
            _ = Glibc.kill(server.processIdentifier, SIGKILL)
            try await RepriseBinary.offload { server.waitUntilExit() }
            process.withLock { $0 = nil }
        }

        func stop() async throws {
            guard let server = process.withLock({ $0 }) else { return }
            server.terminate()
            try await RepriseBinary.offload { server.waitUntilExit() }
            process.withLock { $0 = nil }
            try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("api-crash-\(port).log"))
        }

        private func status(_ path: String) async throws -> Int {
            try await HTTPLoadClient.withConnection(host: "127.0.0.1", port: port) { http in
                try await http.send(LoadRequest(method: .GET, path: path)).status
            }
        }

        func send(_ path: String, method: HTTPMethod = .POST, body: String? = nil, headers extra: [(String, String)] = []) async throws -> Answer {
            var headers = HTTPHeaders([("Authorization", "Bearer \(APICrashTests.key)"), ("Connection", "close")])
            if body != nil { headers.add(name: "Content-Type", value: "application/json") }
            for (name, value) in extra { headers.add(name: name, value: value) }
            let response = try await HTTPLoadClient.withConnection(host: "127.0.0.1", port: port) { http in
                try await http.send(LoadRequest(method: method, path: path, headers: headers, body: body.map { ByteBuffer(string: $0) }))
            }
            return Answer(status: response.status, body: String(buffer: response.body))
        }

        /// Sends until the server answers with something other than 503; a connection
        /// refused or cut (the server was killed) is sent again, with the same key.
        func sendUntilAnswered(_ request: Request) async throws -> Answer {
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if let answer = try? await send(
                    request.path, headers: [("Idempotency-Key", request.key), ("X-Correlation-ID", request.correlation)]
                ), answer.status != 503 {
                    return answer
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw HTTPLoadError(.connectionClosed, "\(request.path) was never answered")
        }
    }

    static func create(_ id: String) -> String {
        """
        {"campaignId":"\(id)","ownerId":"label-7","name":"Crash","objective":"reach",\
        "budget":{"amountMinor":1000000,"currency":"EUR"},\
        "flight":{"start":"2027-01-01T00:00:00Z","end":"2099-12-31T00:00:00Z"},"pacingMode":"even"}
        """
    }

    static let subcampaign = """
        {"id":"sub-1","targeting":{"markets":["SE"],"surfaces":["home"],"segments":["superfans"]},\
        "pricing":{"model":"cpm","amountMinor":450},"promotedItem":{"kind":"track","id":"trk-1"}}
        """
}
