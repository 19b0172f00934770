/// Remembers the request each idempotency key was first used with, so that a key reused
/// for a different request can be refused instead of answered with the first outcome.
///
/// The key is the command id the caller's `Idempotency-Key` became; the fingerprint is
/// whatever the caller derives from the request (the API hashes its canonical body).
public protocol IdempotencyKeyStore: Sendable {
    /// Records `fingerprint` for `commandID` if the key is new, and returns the fingerprint
    /// stored for it: `fingerprint` itself the first time, the first request's after that.
    /// A concurrent first use is waited for, so both callers see the same answer.
    func claimIdempotencyKey(_ commandID: String, fingerprint: String) async throws(EventStoreError) -> String
}
