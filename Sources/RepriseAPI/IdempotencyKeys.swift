import Crypto
import Foundation
import RepriseDomain
import RepriseEventLog

/// The request each `Idempotency-Key` was first used with, as a SHA-256 of its canonical
/// body, kept by an `IdempotencyKeyStore` (the event store, in production).
///
/// The command id already scopes a key to its caller, method and path; the fingerprint
/// adds the body, so that a key reused for a different request is refused rather than
/// answered with the first request's outcome.
public struct IdempotencyKeys: Sendable {
    let store: any IdempotencyKeyStore

    public init(store: any IdempotencyKeyStore) {
        self.store = store
    }

    /// Records `fingerprint` for `commandID` if the key is new; throws 422
    /// `idempotency_key_reused` if it was first used with another body.
    func claim(_ commandID: String, fingerprint: String) async throws(Problem) {
        let stored: String
        do {
            stored = try await store.claimIdempotencyKey(commandID, fingerprint: fingerprint)
        } catch {
            throw Problem.unavailable("recording the Idempotency-Key failed: \(error)")
        }
        guard stored == fingerprint else { throw Problem.idempotencyKeyReused }
    }

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
