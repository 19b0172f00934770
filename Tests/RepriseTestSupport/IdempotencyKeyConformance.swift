import Foundation
import RepriseEventLog
import Testing

/// What every `IdempotencyKeyStore` must do, run against `InMemoryEventStore` and
/// `PostgresEventStore` alike (on a fresh, empty store).
public enum IdempotencyKeyConformance {
    /// A fingerprint as the API makes them: 64 hex digits.
    static func fingerprint(_ digit: Character) -> String { String(repeating: digit, count: 64) }

    public static func run(on store: some EventStore & IdempotencyKeyStore) async throws {
        #expect(try await store.idempotentRequest("unused") == nil)

        // An append with a fingerprint records its key in the same transaction.
        let keyed = AppendRequest(
            commandID: "keyed", streams: [StreamAppend(streamID: "s-1", expectedVersion: .noStream, events: [EventStoreConformance.event()])],
            metadata: EventStoreConformance.metadata, requestFingerprint: fingerprint("1")
        )
        let first = try await store.append(keyed)
        var appended = first
        appended.isDuplicate = true
        #expect(try await store.idempotentRequest("keyed") == IdempotentRequest(fingerprint: fingerprint("1"), answer: .appended(appended)))
        // A duplicate append keeps the first fingerprint.
        let again = AppendRequest(
            commandID: "keyed", streams: [StreamAppend(streamID: "s-1", expectedVersion: .noStream, events: [EventStoreConformance.event()])],
            metadata: EventStoreConformance.metadata, requestFingerprint: fingerprint("a")
        )
        #expect(try await store.append(again).isDuplicate)
        #expect(try await store.idempotentRequest("keyed")?.fingerprint == fingerprint("1"))
        // A refusal recorded for an appended command id gets the append back.
        let late = try await store.recordAnswer("keyed", fingerprint: fingerprint("1"), answer: RecordedAnswer(status: 409, version: 1, body: Array("{}".utf8)))
        #expect(late.answer == .appended(appended))

        // A fingerprint that is no SHA-256 is refused before anything is written.
        let malformed = AppendRequest(
            commandID: "malformed", streams: [StreamAppend(streamID: "s-3", expectedVersion: .noStream, events: [EventStoreConformance.event()])],
            metadata: EventStoreConformance.metadata, requestFingerprint: "not-a-digest"
        )
        await #expect(throws: EventStoreError.self) { try await store.append(malformed) }
        #expect(try await store.streamVersion("s-3") == nil)

        // An append without a fingerprint records no key.
        try await store.append(EventStoreConformance.append("s-2", .noStream, [EventStoreConformance.event()], commandID: "unkeyed"))
        #expect(try await store.idempotentRequest("unkeyed") == nil)

        // Answers of commands that appended nothing: the first one stays.
        let refusal = RecordedAnswer(status: 409, version: 3, body: Array(#"{"type":"x"}"#.utf8))
        #expect(try await store.recordAnswer("refused", fingerprint: fingerprint("2"), answer: refusal)
            == IdempotentRequest(fingerprint: fingerprint("2"), answer: .recorded(refusal)))
        let other = RecordedAnswer(status: 200, version: nil, body: Array("{}".utf8))
        #expect(try await store.recordAnswer("refused", fingerprint: fingerprint("3"), answer: other)
            == IdempotentRequest(fingerprint: fingerprint("2"), answer: .recorded(refusal)))
        #expect(try await store.idempotentRequest("refused") == IdempotentRequest(fingerprint: fingerprint("2"), answer: .recorded(refusal)))

        // Expiry: nothing is younger than zero, in batches of at most `limit`.
        #expect(try await store.expireIdempotencyKeys(olderThan: .seconds(3_600), limit: 10) == 0)
        try await Task.sleep(for: .milliseconds(5))
        #expect(try await store.expireIdempotencyKeys(olderThan: .zero, limit: 1) == 1)
        #expect(try await store.expireIdempotencyKeys(olderThan: .zero, limit: 10) == 1)
        #expect(try await store.idempotentRequest("keyed") == nil)
        #expect(try await store.idempotentRequest("refused") == nil)
        // The log still answers a retried append with its first result.
        #expect(try await store.append(again).isDuplicate)
    }
}
