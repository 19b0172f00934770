import Logging
import NATS
import RepriseTestSupport
import Testing

/// Shared helpers: every test opens its own connection and owns uniquely named streams and
/// buckets, because tests run in parallel against one server.
enum NATSTest {
    static let logger = Logger(label: "reprise.nats.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    static func connect(
        url: String = TestEnvironment.natsURL,
        name: String = "nats-tests"
    ) async throws -> NATSConnection {
        try await NATSConnection.connect(url: url, name: name, logger: logger)
    }

    /// Runs `body` with a fresh connection and closes it afterwards, also when `body` throws.
    static func withConnection<T: Sendable>(
        url: String = TestEnvironment.natsURL,
        _ body: (NATSConnection) async throws -> T
    ) async throws -> T {
        try await NATSConnection.withConnection(url: url, name: "nats-tests", logger: logger) { try await body($0) }
    }

    /// Creates a memory stream on subjects `<prefix>.>`, runs `body`, deletes the stream.
    static func withStream<T>(
        _ js: JetStreamContext,
        configure: (inout StreamConfiguration) -> Void = { _ in },
        _ body: (_ stream: String, _ subjectPrefix: String) async throws -> T
    ) async throws -> T {
        let name = TestEnvironment.uniqueName("T")
        let prefix = "t.\(name)"
        var config = StreamConfiguration(name: name, subjects: ["\(prefix).>"], storage: .memory)
        configure(&config)
        _ = try await js.createStream(config)
        do {
            let result = try await body(name, prefix)
            try? await js.deleteStream(name: name)
            return result
        } catch {
            try? await js.deleteStream(name: name)
            throw error
        }
    }

    /// Creates a memory bucket, runs `body`, deletes the bucket.
    static func withBucket<T>(
        _ js: JetStreamContext,
        configure: (inout KeyValueConfiguration) -> Void = { _ in },
        _ body: (KeyValueBucket) async throws -> T
    ) async throws -> T {
        var config = KeyValueConfiguration(bucket: TestEnvironment.uniqueName("kv"), history: 5, storage: .memory)
        configure(&config)
        let bucket = try await js.createKeyValue(config)
        do {
            let result = try await body(bucket)
            try? await js.deleteKeyValue(bucket: config.bucket)
            return result
        } catch {
            try? await js.deleteKeyValue(bucket: config.bucket)
            throw error
        }
    }

    /// Fetches until `count` messages arrived. libnats 3.4.1 may return an empty fetch at
    /// once (bug #631), so one fetch is not enough.
    static func fetch(_ subscription: PullSubscription, count: Int) async throws -> [JetStreamMessage] {
        var messages: [JetStreamMessage] = []
        while messages.count < count {
            try Task.checkCancellation()
            messages += try await subscription.fetch(batch: count - messages.count, timeout: .seconds(1))
        }
        return messages
    }
}

struct HangGuardExpired: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "still running after \(limit); a hang, not a slow machine" }
}

/// Runs `body`, failing if it has not finished after `limit`. The limit is a guard against a
/// hang, never a performance assertion: keep it far above any plausible run time.
func withHangGuard<T: Sendable>(
    _ limit: Duration = .seconds(60),
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw HangGuardExpired(limit: limit)
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else { throw HangGuardExpired(limit: limit) }
        return result
    }
}

/// The `NATSError` a throwing call produced, or a test failure when it produced none.
func natsError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> NATSError? {
    do {
        try await body()
        Issue.record("expected a NATSError, but the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as NATSError {
        return error
    } catch {
        Issue.record("expected a NATSError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}
