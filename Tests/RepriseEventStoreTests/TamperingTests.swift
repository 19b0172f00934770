import Foundation
import Postgres
import RepriseEventLog
import RepriseEventStore
import RepriseTestSupport
import Testing

/// Tampering behind the store's back, in the tables themselves: the chain verifier must
/// name what was changed. (The verifier on an intact log is part of the conformance checks.)
@Suite("PostgreSQL event store: tampering is caught")
struct TamperingTests {
    /// Stream `s` with versions 1 to 3, plus stream `t`.
    private func withLog<R: Sendable>(_ body: (PostgresEventStore, MigratedDatabase) async throws -> R) async throws -> R {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            try await store.append(Fixtures.append("s", .noStream, (1...3).map { Fixtures.event("thing.happened", #"{"name": "n\#($0)"}"#) }))
            try await store.append(Fixtures.append("t", .noStream, [Fixtures.event()]))
            #expect(try await ChainVerifier(store: store).verify().isIntact)
            return try await body(store, database)
        }
    }

    @Test func anEditedEventIsNamed() async throws {
        try await withLog { store, database in
            let edited = try await database.withConnection { connection in
                try await connection.query("""
                    UPDATE events SET data = jsonb_set(data, '{name}', '"Tampered"')
                    WHERE stream_id = 's' AND stream_version = 1 RETURNING event_id
                    """)[0].decode(UUID.self, at: 0)
            }
            let failure = try #require(try await ChainVerifier(store: store).verify().firstFailure)
            #expect(failure.reason == .hashMismatch)
            #expect(failure.event?.eventID == edited)
            #expect(failure.description.contains(edited.uuidString))
        }
    }

    @Test func aRemovedEventIsCaught() async throws {
        try await withLog { store, database in
            _ = try await database.withConnection { connection in
                try await connection.query("DELETE FROM events WHERE stream_id = 's' AND stream_version = 2")
            }
            let failure = try #require(try await ChainVerifier(store: store).verify().firstFailure)
            #expect(failure.reason == .versionGap)
            #expect(failure.streamVersion == 3)
        }
    }

    @Test func eventsRemovedFromTheEndAreCaught() async throws {
        try await withLog { store, database in
            _ = try await database.withConnection { connection in
                try await connection.query("DELETE FROM events WHERE stream_id = 's' AND stream_version = 3")
            }
            let failure = try #require(try await ChainVerifier(store: store).verify().firstFailure)
            #expect(failure.reason == .headMismatch)
            #expect(failure.streamID == "s")
        }
    }
}
