/// One write of a batch (`KeyValueBucket.write(_:timeout:)`).
public enum KeyValueWrite: Sendable, Hashable {
    case put(key: String, value: [UInt8])
    /// Marks the key deleted, as `KeyValueBucket.delete(key:)` does.
    case delete(key: String)

    public var key: String {
        switch self {
        case .put(let key, _), .delete(let key): key
        }
    }
}

/// What became of a batch of writes.
public struct KeyValueBatchResult: Sendable {
    /// The revision of every stored write, by key.
    public var revisions: [String: UInt64]
    /// Every write that was not stored, or not known to be, by key: a `.timeout` write may
    /// still have been stored.
    public var failures: [String: NATSError]

    public init(revisions: [String: UInt64] = [:], failures: [String: NATSError] = [:]) {
        self.revisions = revisions
        self.failures = failures
    }

    public var allSucceeded: Bool { failures.isEmpty }
}

extension KeyValueBucket {
    /// The header that marks a delete (`KV-Operation: DEL`), as every client writes it.
    static let operationHeader = "KV-Operation"

    /// Sends every write without waiting, then waits for all the acks together, up to
    /// `timeout`: one round trip for the batch instead of one per key.
    ///
    /// A write is a JetStream publish to `$KV.<bucket>.<key>` (a delete carries
    /// `KV-Operation: DEL`), so the bucket must not sit behind a JetStream domain or API
    /// prefix. The server stores the writes in the order given. A failed write never stops
    /// the others: failures are reported in the result, not thrown. Throws only when the
    /// batch cannot be tried at all: a closed connection, or a key written twice (its two
    /// outcomes could not be told apart).
    ///
    /// Concurrent batches each use a JetStream context of their own, and never wait for
    /// each other's acks.
    public func write(_ writes: [KeyValueWrite], timeout: Duration = .seconds(5)) async throws -> KeyValueBatchResult {
        guard !writes.isEmpty else { return KeyValueBatchResult() }
        var keys = Set<String>()
        for write in writes where !keys.insert(write.key).inserted {
            throw NATSError.invalidArgument("key \(write.key) is written twice in one batch")
        }
        let handle = try takeBatchContext()
        let context = JetStreamContext(connection: connection, handle: handle)
        let prefix = "$KV.\(bucket)."
        var result = KeyValueBatchResult()
        var sent: [String] = []
        for write in writes {
            do {
                switch write {
                case .put(let key, let value):
                    try context.publishAsync(subject: prefix + key, payload: value)
                case .delete(let key):
                    try context.publishAsync(subject: prefix + key, payload: [], headers: [Self.operationHeader: "DEL"])
                }
                sent.append(write.key)
            } catch {
                result.failures[write.key] = error as? NATSError ?? NATSError(code: .other, message: "\(error)", subject: prefix + write.key)
            }
        }
        // A context whose wait threw may still hold unanswered publishes: it is not reused.
        let outcome = try await context.waitForPublishes(timeout: timeout)
        batchContexts.withLock { $0.append(handle) }

        for failure in outcome.failures where failure.subject.hasPrefix(prefix) {
            result.failures[String(failure.subject.dropFirst(prefix.count))] = failure.error
        }
        // Acks come in publish order; those of the writes that did not fail are left.
        var acks = outcome.acks.makeIterator()
        for key in sent where result.failures[key] == nil {
            if let ack = acks.next() {
                result.revisions[key] = ack.sequence
            } else {
                result.failures[key] = NATSError(code: .other, message: "no ack recorded for \(key)", subject: prefix + key)
            }
        }
        return result
    }

    /// An idle batch context, or a new one with room for a large batch in flight.
    private func takeBatchContext() throws -> JetStreamHandle {
        guard !connection.isClosed else { throw NATSError.connectionClosed() }
        if let idle = batchContexts.withLock({ $0.popLast() }) { return idle }
        let handle = JetStreamHandle(
            connection: connection.raw,
            options: JetStreamOptions(maxPendingAsyncPublishes: 65_536),
            callbacks: connection.callbacks
        )
        _ = try handle.context()
        return handle
    }
}
