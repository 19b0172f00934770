import NATS
import RepriseTestSupport
import Testing

/// The `personalization` user may only subscribe to `scores.>` and use the `KV_scores` API.
/// The server answers its other requests with silence plus an asynchronous `-ERR`; these
/// tests check that the wrapper turns that into `.permissionDenied` rather than `.timeout`.
@Suite("Permission denials")
struct PermissionTests {
    static let personalizationURL = TestEnvironment.natsURL(user: "personalization", password: "personalization-dev")
    /// Short, so each denied call does not wait the default 5 s; still far above the
    /// few milliseconds the server's `-ERR` takes.
    static let options = JetStreamOptions(requestTimeout: .seconds(2))

    @Test("a JetStream publish to events.x is permissionDenied, naming the subject")
    func jetStreamPublish() async throws {
        try await NATSTest.withConnection(url: Self.personalizationURL) { connection in
            let js = try connection.jetStream(options: Self.options)
            let error = await natsError { _ = try await js.publish(subject: "events.x", payload: [1]) }
            #expect(error?.code == .permissionDenied)
            #expect(error?.subject == "events.x")
            #expect(error?.message.contains("events.x") == true)
        }
    }

    @Test("an async publish to events.x fails with permissionDenied")
    func asyncPublish() async throws {
        try await NATSTest.withConnection(url: Self.personalizationURL) { connection in
            let js = try connection.jetStream(options: Self.options)
            try js.publishAsync(subject: "events.x", payload: [1], messageID: "denied-1")
            let result = try await js.waitForPublishes(timeout: .seconds(2))
            #expect(result.acks.isEmpty)
            let failure = try #require(result.failures.first)
            #expect(result.failures.count == 1)
            #expect(failure.messageID == "denied-1")
            #expect(failure.error.code == .permissionDenied)
        }
    }

    @Test("stream info and consumer creation on a stream the user may not read are permissionDenied")
    func streamAndConsumerAPI() async throws {
        try await NATSTest.withConnection { admin in
            try await NATSTest.withStream(try admin.jetStream()) { stream, _ in
                try await NATSTest.withConnection(url: Self.personalizationURL) { connection in
                    let js = try connection.jetStream(options: Self.options)
                    async let infoError = natsError { _ = try await js.streamInfo(name: stream) }
                    async let consumerError = natsError {
                        _ = try await js.addConsumer(stream: stream, ConsumerConfiguration(durableName: "sneaky"))
                    }
                    let (info, consumer) = await (infoError, consumerError)
                    #expect(info?.code == .permissionDenied)
                    #expect(info?.subject == "$JS.API.STREAM.INFO.\(stream)")
                    #expect(consumer?.code == .permissionDenied)
                    #expect(consumer?.subject?.contains(stream) == true)
                }
            }
        }
    }

    @Test("opening a bucket other than scores is permissionDenied")
    func otherBucket() async throws {
        try await NATSTest.withConnection(url: Self.personalizationURL) { connection in
            let js = try connection.jetStream(options: Self.options)
            let error = await natsError { _ = try await js.keyValue(bucket: "campaigns") }
            #expect(error?.code == .permissionDenied)
            #expect(error?.subject?.contains("KV_campaigns") == true)
        }
    }

    @Test("a core subscription to events.> ends with permissionDenied")
    func coreSubscribe() async throws {
        try await NATSTest.withConnection(url: Self.personalizationURL) { connection in
            let subscription = try connection.subscribe(subject: "events.>")
            let outcome = try await withHangGuard { () -> Result<Int, any Error> in
                var count = 0
                do {
                    for try await _ in subscription { count += 1 }
                    return .success(count)
                } catch {
                    return .failure(error)
                }
            }
            switch outcome {
            case .success(let count):
                Issue.record("the subscription ended without an error after \(count) messages")
            case .failure(let error):
                let natsError = try #require(error as? NATSError)
                #expect(natsError.code == .permissionDenied)
                #expect(natsError.subject == "events.>")
            }
        }
    }

    @Test("a denied core publish, which cannot fail by itself, is reported on the event stream")
    func corePublishReportedAsEvent() async throws {
        try await NATSTest.withConnection(url: Self.personalizationURL) { connection in
            try connection.publish(subject: "events.sneaky", payload: [1])
            try await connection.flush(timeout: .seconds(5))
            let denied = try await withHangGuard { () -> NATSError? in
                for await event in connection.events {
                    if case .error(let error) = event { return error }
                }
                return nil
            }
            #expect(denied?.code == .permissionDenied)
            #expect(denied?.subject == "events.sneaky")
        }
    }

    @Test("the allowed subscription to scores.> works for the same user")
    func allowedSubscribe() async throws {
        try await NATSTest.withConnection(url: Self.personalizationURL) { reader in
            try await NATSTest.withConnection { writer in
                let subject = "scores.\(TestEnvironment.uniqueName("p"))"
                let subscription = try reader.subscribe(subject: subject)
                try await reader.flush(timeout: .seconds(5))
                try writer.publish(subject: subject, payload: [7])
                let message = try await withHangGuard {
                    var iterator = subscription.makeAsyncIterator()
                    return try await iterator.next()
                }
                #expect(message?.payload == [7])
            }
        }
    }
}
