import Crypto
import Foundation
import Postgres
import RepriseDomain

/// The request each `Idempotency-Key` was first used with, as a SHA-256 of its canonical
/// body, in the `idempotency_keys` table (`migrations/0003_idempotency_keys.sql`).
///
/// The command id already scopes a key to its caller, method and path; the fingerprint
/// adds the body, so that a key reused for a different request is refused rather than
/// answered with the first request's outcome.
public struct IdempotencyKeys: Sendable {
    let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// Records `fingerprint` for `commandID` if the key is new; throws 422
    /// `idempotency_key_reused` if it was first used with another body.
    func claim(_ commandID: String, fingerprint: String) async throws(Problem) {
        let stored: String
        do {
            // One round trip whether the key is new or not: the no-op update locks the
            // existing row (waiting for a concurrent first use to commit) and returns it.
            let rows = try await pool.execute(Self.claimStatement, [commandID, fingerprint])
            guard let row = rows.first else { throw Problem.unavailable("recording the Idempotency-Key returned no row") }
            stored = try row.decode(String.self, at: 0)
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem.unavailable("recording the Idempotency-Key failed: \(error)")
        }
        guard stored == fingerprint else { throw Problem.idempotencyKeyReused }
    }

    private static let claimStatement = PostgresPreparedStatement(
        name: "reprise_claim_idempotency_key",
        sql: """
            INSERT INTO idempotency_keys AS k (command_id, request_sha256, recorded_at) VALUES ($1, $2, now())
            ON CONFLICT (command_id) DO UPDATE SET request_sha256 = k.request_sha256
            RETURNING k.request_sha256
            """
    )

    /// SHA-256 of the body as the API's canonical JSON (sorted keys, no insignificant
    /// space), so that a retry that reformats the same document still matches. No body
    /// hashes as the empty string.
    static func fingerprint(_ body: JSONReader?) -> String {
        let bytes = body.flatMap { try? JSON.encode($0.value) } ?? Data()
        return Hex.encode(SHA256.hash(data: bytes))
    }
}

extension Problem {
    static let idempotencyKeyReused = Problem(
        "idempotency_key_reused", .unprocessableContent, title: "The Idempotency-Key was used with another request",
        detail: "this Idempotency-Key was first sent with a different body; use a new key for a new request",
        field: "Idempotency-Key"
    )
}
