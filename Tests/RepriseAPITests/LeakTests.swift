import Foundation
import Logging
import RepriseMigrations
import RepriseTestSupport
import Synchronization
import Testing

/// What an answer must not tell a caller: the database's own error text, or whose
/// campaign an id is.
@Suite struct LeakTests {
    /// Nothing listens on loopback port 1: every command meets the driver's "connection
    /// refused". The 503 says only that the caller may retry; the driver's text goes to the
    /// log, on a line that carries the request's ids.
    @Test func a503DetailIsGenericAndItsCauseIsLoggedWithTheRequestIDs() async throws {
        let log = RecordingLogHandler.Records()
        let logger = Logger(label: "test.leaks", factory: { _ in RecordingLogHandler(records: log) })
        try await APIHarness.serve(
            url: "postgresql://reprise@127.0.0.1:1/reprise", logger: logger,
            migrations: try Migration.load(from: MigratedDatabase.repositoryMigrations), connectTimeout: .seconds(2)
        ) { api in
            let correlation = UUID().uuidString.lowercased()
            let reply = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1"), headers: ["X-Correlation-ID": correlation])
            reply.expectStatus(503)
            #expect(reply.problemType == "unavailable")
            #expect(reply.json["detail"] == .string("a service this request needs did not answer; send the same request again later"))
            for driverText in ["127.0.0.1", "port 1", "refused", "connection", "postgres"] {
                #expect(!reply.body.lowercased().contains(driverText), "the 503 tells the caller '\(driverText)': \(reply.body)")
            }

            let failures = log.entries.filter { $0.message == "request failed" && $0.metadata["correlation.id"] == correlation }
            #expect(failures.count == 1, "\(log.entries.map(\.message))")
            #expect(failures.first?.metadata["problem.type"] == "unavailable")
            #expect(failures.first?.metadata["hb.request.id"] != nil)
            #expect(failures.first?.metadata["error.message"]?.lowercased().contains("refused") == true, "\(failures)")
        }
    }

    /// A manager reading, or commanding, another owner's campaign is refused without
    /// learning which owner that is.
    @Test func a403NamesNoOtherOwner() async throws {
        try await APIHarness.with { api in
            try await api.send(.post, "/campaigns", json: Bodies.create("cmp-9", owner: "label-9")).expectStatus(201)
            let replies = [
                try await api.send(.get, "/campaigns/cmp-9", key: APIHarness.Key.manager),
                try await api.send(.post, "/campaigns/cmp-9/pause", key: APIHarness.Key.manager),
                try await api.send(.get, "/campaigns/cmp-9/state?asOf=v1", key: APIHarness.Key.manager),
                try await api.send(.get, "/campaigns/cmp-9/history", key: APIHarness.Key.manager),
            ]
            for reply in replies {
                reply.expectStatus(403)
                #expect(!reply.body.contains("label-9"), "\(reply.body)")
            }
        }
    }
}

/// Keeps every log record, with its metadata flattened to text, for tests to inspect.
struct RecordingLogHandler: LogHandler {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    final class Records: Sendable {
        private let storage = Mutex<[Entry]>([])
        var entries: [Entry] { storage.withLock { $0 } }
        func append(_ entry: Entry) { storage.withLock { $0.append(entry) } }
    }

    let records: Records
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(records: Records) { self.records = records }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        records.append(Entry(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
    }
}
