import RepriseEventLog
import RepriseEventStore
import RepriseTestSupport
import Testing

/// Both stores keep one snapshot a stream, the newest: an older save never replaces it.
@Suite("Stream snapshots")
struct SnapshotStoreTests {
    static func expectNewestWins(_ store: some StreamSnapshotStore) async throws {
        let stream = StreamID("campaign-snap")
        #expect(try await store.snapshot(of: stream) == nil)
        let v5 = StreamSnapshot(streamID: stream, version: 5, format: 1, state: [1, 2, 3])
        try await store.saveSnapshot(v5)
        #expect(try await store.snapshot(of: stream) == v5)
        // An older one (a slower reader) is dropped; a newer one replaces it.
        try await store.saveSnapshot(StreamSnapshot(streamID: stream, version: 4, format: 1, state: [9]))
        #expect(try await store.snapshot(of: stream) == v5)
        let v9 = StreamSnapshot(streamID: stream, version: 9, format: 2, state: Array(repeating: 0, count: 70_000))
        try await store.saveSnapshot(v9)
        #expect(try await store.snapshot(of: stream) == v9)
        #expect(try await store.snapshot(of: StreamID("campaign-other")) == nil)
    }

    @Test func postgres() async throws {
        try await MigratedDatabase.with { pool, database in
            try await Self.expectNewestWins(PostgresEventStore(pool: pool, logger: database.logger))
        }
    }

    @Test func inMemory() async throws {
        try await Self.expectNewestWins(InMemoryEventStore())
    }
}
