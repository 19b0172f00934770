import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog

/// What each `Idempotency-Key` was first used with and answered, kept by an
/// `IdempotencyKeyStore` (the event store, in production): every request with the key gets
/// the first request's status and body.
///
/// The command id already scopes a key to its caller, method and path; the fingerprint (a
/// SHA-256 of the canonical body) adds the body, so that a key reused for a different request
/// is refused (422) rather than answered with the first request's outcome.
///
/// A command that appends records its key in the append's transaction; one that appends
/// nothing (a refusal decided by the domain, a no-op) records its answer afterwards. A retry
/// looks the key up before anything is decided, so it never decides the command again
/// against a campaign that has moved on. Requests with one key are handled one at a time in
/// this process: a retry that arrives while the first try is in flight waits for its answer.
public struct IdempotencyKeys: Sendable {
    let store: any IdempotencyKeyStore
    private let inFlight = KeyedLock()

    public init(store: any IdempotencyKeyStore) {
        self.store = store
    }

    /// How a command that ran went, for what the key must remember.
    enum Decision {
        /// Events were appended, and the key with them.
        case appended(Answer)
        /// The command id had been appended before (by a try this key did not record, as
        /// one whose key expired): nothing appended now.
        case appendedBefore(Answer)
        /// Nothing appended: a refusal or a no-op, whose answer the key must keep.
        case nothingAppended(Answer)

        var answer: Answer {
            switch self {
            case .appended(let answer), .appendedBefore(let answer), .nothingAppended(let answer): answer
            }
        }
    }

    /// The key's answer: the stored one if the key was used, else `decide`'s, remembered.
    /// `replay` rebuilds the answer of a command whose key holds its append.
    func answer(
        _ commandID: String, fingerprint: String,
        replay: @Sendable (AppendResult) async throws -> Answer,
        decide: @Sendable () async throws -> Decision
    ) async throws -> Answer {
        try await inFlight.withLock(commandID) {
            if let stored = try await lookup(commandID) {
                return try await answer(stored, fingerprint: fingerprint, replay: replay)
            }
            switch try await decide() {
            case .appended(let answer):
                return answer
            case .appendedBefore(let answer):
                if let stored = try await lookup(commandID), stored.fingerprint != fingerprint { throw Problem.idempotencyKeyReused }
                return answer
            case .nothingAppended(let answer):
                let stored: IdempotentRequest
                do {
                    stored = try await store.recordAnswer(commandID, fingerprint: fingerprint, answer: answer.recorded)
                } catch {
                    throw Problem.unavailable("recording the Idempotency-Key failed: \(error)")
                }
                return try await self.answer(stored, fingerprint: fingerprint, replay: replay)
            }
        }
    }

    private func answer(
        _ stored: IdempotentRequest, fingerprint: String, replay: @Sendable (AppendResult) async throws -> Answer
    ) async throws -> Answer {
        guard stored.fingerprint == fingerprint else { throw Problem.idempotencyKeyReused }
        switch stored.answer {
        case .recorded(let recorded): return Answer(recorded)
        case .appended(let result): return try await replay(result)
        }
    }

    private func lookup(_ commandID: String) async throws(Problem) -> IdempotentRequest? {
        do {
            return try await store.idempotentRequest(commandID)
        } catch {
            throw Problem.unavailable("reading the Idempotency-Key failed: \(error)")
        }
    }

    /// SHA-256 of the body as the API's canonical JSON (sorted keys, no insignificant
    /// space), so that a retry that reformats the same document still matches. No body
    /// hashes as the empty string.
    static func fingerprint(_ body: JSONReader?) -> String {
        let bytes = body.flatMap { try? JSON.encode($0.value) } ?? Data()
        return Hex.encode(SHA256.hash(data: bytes))
    }
}

/// A response as the API sends it and a key keeps it: status, ETag version, JSON body.
struct Answer: Sendable {
    var status: HTTPResponse.Status
    var version: Int?
    var body: [UInt8]

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, version: Int? = nil) throws -> Answer {
        Answer(status: status, version: version, body: Array(try JSON.encode(value)))
    }

    init(status: HTTPResponse.Status, version: Int?, body: [UInt8]) {
        self.status = status
        self.version = version
        self.body = body
    }

    init(_ problem: Problem) {
        self.init(status: problem.status, version: problem.currentVersion, body: Array(problem.encodedBody()))
    }

    init(_ recorded: RecordedAnswer) {
        self.init(status: HTTPResponse.Status(code: recorded.status), version: recorded.version, body: recorded.body)
    }

    var recorded: RecordedAnswer { RecordedAnswer(status: status.code, version: version, body: body) }

    func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = status.code >= 400 ? Problem.mediaType : "application/json"
        if let version { headers[.eTag] = ETag.format(version) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension Problem {
    static let idempotencyKeyReused = Problem(
        "idempotency_key_reused", .unprocessableContent, title: "The Idempotency-Key was used with another request",
        detail: "this Idempotency-Key was first sent with a different body; use a new key for a new request",
        field: "Idempotency-Key"
    )
}
