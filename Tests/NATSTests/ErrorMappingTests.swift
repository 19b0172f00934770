@testable import NATS
import Testing

/// Fast tests of the pure pieces: no server needed.
@Suite("Error text parsing")
struct ErrorMappingTests {
    @Test("publish and subscribe violations are parsed with their subject")
    func parseViolations() throws {
        let publish = try #require(PermissionViolation(text: #"Permissions Violation for Publish to "events.x""#, serial: 1))
        #expect(publish.operation == .publish)
        #expect(publish.subject == "events.x")

        let subscribe = try #require(
            PermissionViolation(text: #"Permissions Violation for Subscription to "events.>" using queue "q""#, serial: 2)
        )
        #expect(subscribe.operation == .subscribe)
        #expect(subscribe.subject == "events.>")

        #expect(PermissionViolation(text: "Authorization Violation", serial: 3) == nil)
    }

    @Test("a violation explains a failed call only when its subject fits")
    func matching() throws {
        let info = try #require(PermissionViolation(text: #"Permissions Violation for Publish to "$JS.API.STREAM.INFO.EVENTS""#, serial: 1))
        #expect(ViolationMatch.jetStreamAPI(stream: "EVENTS").matches(info))
        #expect(!ViolationMatch.jetStreamAPI(stream: "OTHER").matches(info))
        #expect(!ViolationMatch.publish("events.x").matches(info))
        #expect(ViolationMatch.keyValue(bucket: "scores").matches(
            try #require(PermissionViolation(text: #"Permissions Violation for Publish to "$KV.scores.a""#, serial: 2))
        ))

        // A related violation is reported under the subject the call itself used.
        let create = try #require(
            PermissionViolation(text: #"Permissions Violation for Publish to "$JS.API.CONSUMER.DURABLE.CREATE.EVENTS.p""#, serial: 3)
        )
        let match = ViolationMatch.jetStreamAPI(stream: "EVENTS", subject: "$JS.API.STREAM.INFO.EVENTS")
        #expect(match.score(create) == 1)
        #expect(match.explanation(from: create).subject == "$JS.API.STREAM.INFO.EVENTS")
        #expect(match.explanation(from: info).subject == "$JS.API.STREAM.INFO.EVENTS")
    }

    @Test("the description names code, subject and JetStream code")
    func description() {
        let error = NATSError(code: .wrongLastSequence, message: "wrong last sequence: 4", jetStreamErrorCode: 10071, subject: "events.a")
        #expect(error.description == "nats wrongLastSequence: wrong last sequence: 4 (subject: events.a, jsErrCode: 10071)")
    }
}
