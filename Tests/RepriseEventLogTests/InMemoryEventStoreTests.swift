import Foundation
import RepriseEventLog
import RepriseTestSupport
import Testing

@Suite("In-memory event store")
struct InMemoryEventStoreTests {
    /// The same checks run against PostgreSQL in RepriseEventStoreTests.
    @Test(arguments: EventStoreConformance.Check.allCases)
    func conformsToTheEventStorePort(_ check: EventStoreConformance.Check) async throws {
        try await check.run(on: InMemoryEventStore())
    }

    @Test func keepsIdempotencyKeysAsThePortSays() async throws {
        try await IdempotencyKeyConformance.run(on: InMemoryEventStore())
    }

    @Test func stampsEachAppendWithItsClock() async throws {
        let store = InMemoryEventStore(now: { Date(timeIntervalSince1970: 1_795_255_200.25) })
        let result = try await store.append(AppendRequest(
            commandID: "c1",
            streams: [StreamAppend(
                streamID: "s", expectedVersion: .noStream,
                events: [NewEvent(eventID: UUID(), type: "t", schemaVersion: 1, data: Array("{}".utf8))]
            )],
            metadata: EventMetadata(correlationID: UUID(), actor: "test")
        ))
        let stored = try await store.readStream("s", from: .start, direction: .forward, limit: 1)
        #expect(stored.first?.recordedAtMicroseconds == 1_795_255_200_250_000)
        #expect(result.recordedAt == Date(timeIntervalSince1970: 1_795_255_200.25))
    }
}
