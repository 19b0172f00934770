import NATS
import RepriseTestSupport
import Testing

/// The users of `ops/nats/nats-server.conf` against the names the platform uses: the
/// `EVENTS` stream, the `projector-<name>` consumers and the `scores` bucket.
///
/// The server checks permissions before it looks for the stream or consumer, so a call
/// that is allowed but names something missing fails with "not found", never with
/// `.permissionDenied`; these tests need not create the shared `EVENTS` stream.
@Suite("Permissions of the fan-out users")
struct FanoutPermissionTests {
    static let options = JetStreamOptions(requestTimeout: .seconds(2))

    static func url(_ user: String) -> String { TestEnvironment.natsURL(user: user, password: "\(user)-dev") }

    /// The error of `body`, or nil when it succeeded.
    static func outcome(_ body: () async throws -> Void) async -> NATSError? {
        do {
            try await body()
            return nil
        } catch let error as NATSError {
            return error
        } catch {
            Issue.record("expected a NATSError, got \(error)")
            return nil
        }
    }

    @Test("personalization may neither publish events nor read the event stream or a projector's consumer")
    func personalizationSeesNoEvents() async throws {
        try await NATSTest.withConnection(url: Self.url("personalization")) { connection in
            let js = try connection.jetStream(options: Self.options)
            #expect(await Self.outcome { _ = try await js.publish(subject: "events.campaign.created", payload: [1]) }?.code == .permissionDenied)
            #expect(await Self.outcome { _ = try await js.streamInfo(name: "EVENTS") }?.code == .permissionDenied)
            #expect(await Self.outcome { _ = try await js.getMessage(stream: "EVENTS", sequence: 1) }?.code == .permissionDenied)
            #expect(await Self.outcome {
                _ = try await js.addConsumer(stream: "EVENTS", ConsumerConfiguration(durableName: "personalization-peek"))
            }?.code == .permissionDenied)
            #expect(await Self.outcome { _ = try await js.consumerInfo(stream: "EVENTS", name: "projector-scores") }?.code == .permissionDenied)
        }
    }

    @Test("personalization may open the scores bucket")
    func personalizationReadsScores() async throws {
        try await NATSTest.withConnection(url: Self.url("personalization")) { connection in
            let js = try connection.jetStream(options: Self.options)
            #expect(await Self.outcome { _ = try await js.keyValue(bucket: "scores") }?.code != .permissionDenied)
        }
    }

    @Test("the scores projector may use its own consumer only, and may not publish events")
    func projectorOwnConsumerOnly() async throws {
        try await NATSTest.withConnection(url: Self.url("projector-scores")) { connection in
            let js = try connection.jetStream(options: Self.options)
            #expect(await Self.outcome { _ = try await js.consumerInfo(stream: "EVENTS", name: "projector-scores") }?.code != .permissionDenied)
            #expect(await Self.outcome { _ = try await js.consumerInfo(stream: "EVENTS", name: "projector-pacing") }?.code == .permissionDenied)
            #expect(await Self.outcome {
                _ = try await js.addConsumer(stream: "EVENTS", ConsumerConfiguration(durableName: "projector-pacing"))
            }?.code == .permissionDenied)
            #expect(await Self.outcome { _ = try await js.publish(subject: "events.campaign.created", payload: [1]) }?.code == .permissionDenied)
            #expect(await Self.outcome { _ = try await js.keyValue(bucket: "scores") }?.code != .permissionDenied)
        }
    }

    @Test("the relay may publish events but neither read consumers nor write scores")
    func relayPublishesOnly() async throws {
        try await NATSTest.withConnection(url: Self.url("relay")) { connection in
            let js = try connection.jetStream(options: Self.options)
            #expect(await Self.outcome { _ = try await js.streamInfo(name: "EVENTS") }?.code != .permissionDenied)
            #expect(await Self.outcome { _ = try await js.consumerInfo(stream: "EVENTS", name: "projector-scores") }?.code == .permissionDenied)
            #expect(await Self.outcome { _ = try await js.keyValue(bucket: "scores") }?.code == .permissionDenied)
        }
    }
}
