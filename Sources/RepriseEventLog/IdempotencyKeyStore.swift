import Foundation

/// Remembers, per idempotency key, the request it was first used with and the answer that
/// request got, so that a retry gets the same answer and a key reused for a different
/// request is refused.
///
/// The key is the command id the caller's `Idempotency-Key` became; the fingerprint is
/// whatever the caller derives from the request (the API hashes its canonical body).
///
/// A command that appends records its key in the append's own transaction (the
/// `requestFingerprint` of its `AppendRequest`), so that claim costs no commit of its own and
/// exists exactly when the events do. A command that appends nothing (a refusal, a no-op)
/// records its answer with `recordAnswer`.
public protocol IdempotencyKeyStore: Sendable {
    /// What the key holds: nil when it is unused (or expired).
    func idempotentRequest(_ commandID: String) async throws(EventStoreError) -> IdempotentRequest?

    /// Records `answer` for a command that appended nothing, unless the key already holds
    /// something (an earlier answer, or an append of this command id, which wins); returns
    /// what the key holds afterwards.
    func recordAnswer(_ commandID: String, fingerprint: String, answer: RecordedAnswer) async throws(EventStoreError) -> IdempotentRequest

    /// Forgets at most `limit` keys recorded more than `retention` ago, oldest first, never
    /// waiting on a key another transaction holds; returns how many went.
    func expireIdempotencyKeys(olderThan retention: Duration, limit: Int) async throws(EventStoreError) -> Int
}

/// A key's first request and its answer.
public struct IdempotentRequest: Sendable, Equatable {
    public enum Answer: Sendable, Equatable {
        /// The command appended events; its first append's result.
        case appended(AppendResult)
        /// The command appended nothing; the answer as it was given.
        case recorded(RecordedAnswer)
    }

    public let fingerprint: String
    public let answer: Answer

    public init(fingerprint: String, answer: Answer) {
        self.fingerprint = fingerprint
        self.answer = answer
    }
}

/// An answer kept as it was sent: status, the version it named (an ETag), the body.
public struct RecordedAnswer: Sendable, Equatable {
    public let status: Int
    public let version: Int?
    public let body: [UInt8]

    public init(status: Int, version: Int?, body: [UInt8]) {
        self.status = status
        self.version = version
        self.body = body
    }
}
