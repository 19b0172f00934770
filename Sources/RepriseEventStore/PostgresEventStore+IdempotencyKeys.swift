import Postgres
import RepriseEventLog

/// Idempotency keys in the `idempotency_keys` table (`migrations/0003_idempotency_keys.sql`,
/// answers and expiry in `0004_idempotent_answers.sql`), on the store's pool. An appended
/// command's key is written by the append itself (`reprise_append_keyed_batch`).
extension PostgresEventStore: IdempotencyKeyStore {
    public func idempotentRequest(_ commandID: String) async throws(EventStoreError) -> IdempotentRequest? {
        do {
            let rows = try await executor.execute(Statements.idempotentRequest, [commandID])
            guard let row = rows.first else { return nil }
            let fingerprint = try row.decode(String.self, at: 0)
            if let status = try row.decode(Int?.self, at: 1) {
                let body = try row.decode(String?.self, at: 3) ?? ""
                return IdempotentRequest(
                    fingerprint: fingerprint,
                    answer: .recorded(RecordedAnswer(status: status, version: try row.decode(Int?.self, at: 2), body: Array(body.utf8)))
                )
            }
            // A key without an answer belongs to an appended command; one claimed under 0003
            // whose command never appended is as good as unused.
            guard let stored = try row.decode(PostgresJSONB?.self, at: 4) else { return nil }
            guard case .success(var result) = try stored.decode(StoredAppendOutcome.self).result else { return nil }
            result.isDuplicate = true
            return IdempotentRequest(fingerprint: fingerprint, answer: .appended(result))
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw EventStoreError(code: .unavailable, message: "reading the idempotency key failed: \(error)")
        }
    }

    public func recordAnswer(
        _ commandID: String, fingerprint: String, answer: RecordedAnswer
    ) async throws(EventStoreError) -> IdempotentRequest {
        do {
            let rows = try await executor.execute(
                Statements.recordAnswer,
                [commandID, fingerprint, answer.status, answer.version ?? -1, String(decoding: answer.body, as: UTF8.self)]
            )
            if !rows.isEmpty { return IdempotentRequest(fingerprint: fingerprint, answer: .recorded(answer)) }
        } catch {
            throw EventStoreError(code: .unavailable, message: "recording the idempotency key failed: \(error)")
        }
        // Taken meanwhile: by another answer, or by an append of this command.
        if let stored = try await idempotentRequest(commandID) { return stored }
        if let appended = try await appendResult(forCommand: commandID) {
            return IdempotentRequest(fingerprint: fingerprint, answer: .appended(appended))
        }
        throw EventStoreError(code: .unavailable, message: "the idempotency key was neither recorded nor found")
    }

    public func expireIdempotencyKeys(olderThan retention: Duration, limit: Int) async throws(EventStoreError) -> Int {
        do {
            let rows = try await executor.execute(
                Statements.expireIdempotencyKeys, [Int(retention.components.seconds), max(0, limit)]
            )
            return rows.affectedRows
        } catch {
            throw EventStoreError(code: .unavailable, message: "expiring idempotency keys failed: \(error)")
        }
    }
}
