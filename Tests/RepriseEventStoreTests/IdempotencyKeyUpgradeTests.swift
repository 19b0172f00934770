import Postgres
import RepriseEventLog
import RepriseEventStore
import RepriseTestSupport
import Testing

/// Keys written before migration 0004 were claimed before their command was decided and
/// hold no answer: one whose command never appended is as good as unused.
@Suite struct IdempotencyKeyUpgradeTests {
    @Test func aKeyClaimedBeforeItsAnswersWereKeptCountsAsUnused() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            let old = String(repeating: "a", count: 64), new = String(repeating: "b", count: 64)
            _ = try await pool.query("INSERT INTO idempotency_keys (command_id, request_sha256, recorded_at) VALUES ('claimed', \(old), now())")
            #expect(try await store.idempotentRequest("claimed") == nil)
            let refusal = RecordedAnswer(status: 409, version: 2, body: Array(#"{"type":"x"}"#.utf8))
            let stored = try await store.recordAnswer("claimed", fingerprint: new, answer: refusal)
            #expect(stored == IdempotentRequest(fingerprint: new, answer: .recorded(refusal)))
            #expect(try await store.idempotentRequest("claimed") == stored)
        }
    }
}
