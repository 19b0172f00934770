import Postgres
import RepriseEventLog

/// Idempotency keys in the `idempotency_keys` table (`migrations/0003_idempotency_keys.sql`),
/// on the store's pool.
extension PostgresEventStore: IdempotencyKeyStore {
    public func claimIdempotencyKey(_ commandID: String, fingerprint: String) async throws(EventStoreError) -> String {
        do {
            // One round trip whether the key is new or not: the no-op update locks the
            // existing row (waiting for a concurrent first use to commit) and returns it.
            let rows = try await executor.execute(Statements.claimIdempotencyKey, [commandID, fingerprint])
            guard let row = rows.first else {
                throw EventStoreError(code: .unavailable, message: "recording the idempotency key returned no row")
            }
            return try row.decode(String.self, at: 0)
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw EventStoreError(code: .unavailable, message: "recording the idempotency key failed: \(error)")
        }
    }
}
