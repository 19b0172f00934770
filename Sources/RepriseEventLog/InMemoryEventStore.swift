import Foundation
import RepriseDomain
import Synchronization

/// The event log in memory: `EventStore` for tests and tools that need no database.
///
/// It keeps the rules of `PostgresEventStore` and `reprise_append_batch`, and the same
/// conformance tests run against both: the command id is checked first (a retry gets
/// the first result), then every expected version, and then all of the command's streams
/// are appended or none; event ids are unique; each stream's events chain their hashes
/// (`EventHash`). Every append is a transaction of its own, committed before `append`
/// returns, so the whole log is always stable: `logHorizon` has nothing in flight.
///
/// One difference remains: event data is kept as the writer sent it, where PostgreSQL
/// keeps it as `jsonb` prints it. Both hash what they return.
public final class InMemoryEventStore: EventStore {
    private struct State {
        /// In log order: (transaction id, position) ascending.
        var log: [RecordedEvent] = []
        /// Each stream's events as indexes into `log`, in version order.
        var streams: [StreamID: [Int]] = [:]
        var commands: [String: AppendResult] = [:]
        /// Idempotency keys: the request's fingerprint, the recorded answer (nil: appended), when.
        var keys: [String: (fingerprint: String, answer: RecordedAnswer?, recordedAt: Date)] = [:]
        var eventIDs: Set<UUID> = []
        var snapshots: [StreamID: StreamSnapshot] = [:]
        var nextTransactionID: UInt64 = 1
        var nextPosition: Int64 = 1
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Date

    /// `now` stamps each append's `recordedAt` (kept to whole microseconds, as PostgreSQL does).
    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    // MARK: Append

    @discardableResult
    public func append(_ request: AppendRequest) async throws(EventStoreError) -> AppendResult {
        let streams = try request.validatedStreams()
        let recordedAtMicroseconds: Int64
        do {
            recordedAtMicroseconds = try Timestamp(atOrBefore: now()).microsecondsSinceEpoch
        } catch {
            throw EventStoreError(code: .unavailable, message: "the store's clock is outside the years 0001 to 9999: \(error)")
        }
        return try state.withLock { state throws(EventStoreError) in
            if var first = state.commands[request.commandID] {
                first.isDuplicate = true
                return first
            }
            for stream in streams {
                let actual = state.streams[stream.streamID]?.count ?? 0
                switch stream.expectedVersion {
                case .any: continue
                case .noStream where actual == 0: continue
                case .exactly(let version) where actual == version: continue
                default: throw .wrongExpectedVersion(stream.streamID, expected: stream.expectedVersion, actual: actual)
                }
            }
            var newIDs = Set<UUID>()
            for event in streams.flatMap(\.events) {
                guard !state.eventIDs.contains(event.eventID), newIDs.insert(event.eventID).inserted else {
                    throw EventStoreError(code: .duplicateEventID, message: "an event with this id is already stored")
                }
            }

            let transactionID = state.nextTransactionID
            state.nextTransactionID += 1
            var results: [AppendResult.Stream] = []
            for stream in streams {
                var indexes = state.streams[stream.streamID] ?? []
                let previousVersion = indexes.count
                var previousHash = indexes.last.map { state.log[$0].hash }
                for event in stream.events {
                    let version = indexes.count + 1
                    let hash = EventHash.compute(
                        previousHash: previousHash, eventID: event.eventID, streamID: stream.streamID, streamVersion: version,
                        type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata: request.metadata,
                        commandID: request.commandID, recordedAtMicroseconds: recordedAtMicroseconds
                    )
                    state.log.append(RecordedEvent(
                        cursor: LogCursor(transactionID: transactionID, position: state.nextPosition),
                        eventID: event.eventID, streamID: stream.streamID, streamVersion: version, type: event.type,
                        schemaVersion: event.schemaVersion, data: event.data, metadata: request.metadata,
                        commandID: request.commandID, recordedAtMicroseconds: recordedAtMicroseconds,
                        previousHash: previousHash, hash: hash
                    ))
                    state.nextPosition += 1
                    indexes.append(state.log.count - 1)
                    previousHash = hash
                }
                state.streams[stream.streamID] = indexes
                results.append(AppendResult.Stream(streamID: stream.streamID, previousVersion: previousVersion, version: indexes.count))
            }
            state.eventIDs.formUnion(newIDs)
            let result = AppendResult(
                streams: results, eventCount: newIDs.count,
                recordedAt: Timestamp.date(microsecondsSinceEpoch: recordedAtMicroseconds), isDuplicate: false
            )
            state.commands[request.commandID] = result
            if let fingerprint = request.requestFingerprint {
                state.keys[request.commandID] = (fingerprint, nil, Timestamp.date(microsecondsSinceEpoch: recordedAtMicroseconds))
            }
            return result
        }
    }

    // MARK: Read

    public func readStream(
        _ streamID: StreamID, from version: StreamPosition, direction: ReadDirection, limit: Int
    ) async throws(EventStoreError) -> [RecordedEvent] {
        state.withLock { state in
            let indexes = state.streams[streamID] ?? []
            // The bounds `PostgresEventStore` reads with: .end is past every version.
            let start: Int
            switch version {
            case .start: start = direction == .forward ? 1 : 0
            case .end: start = Int(Int32.max)
            case .version(let number): start = number
            }
            let versions: [Int]
            switch direction {
            case .forward: versions = Array(indexes.indices.lazy.map { $0 + 1 }.filter { $0 >= start }.prefix(max(0, limit)))
            case .backward: versions = Array(indexes.indices.reversed().lazy.map { $0 + 1 }.filter { $0 <= start }.prefix(max(0, limit)))
            }
            return versions.map { state.log[indexes[$0 - 1]] }
        }
    }

    public func readLog(after cursor: LogCursor?, limit: Int) async throws(EventStoreError) -> LogPage {
        state.withLock { state in
            // The log is in cursor order: find the first event after `cursor` by bisection.
            var low = 0
            var high = state.log.count
            if let cursor {
                while low < high {
                    let middle = (low + high) / 2
                    if state.log[middle].cursor <= cursor { low = middle + 1 } else { high = middle }
                }
            }
            let events = Array(state.log[low...].prefix(max(0, limit)))
            return LogPage(events: events, cursor: events.last?.cursor ?? cursor)
        }
    }

    public func logHorizon() async throws(EventStoreError) -> LogHorizon {
        state.withLock { LogHorizon(stableBelow: $0.nextTransactionID, nextTransactionID: $0.nextTransactionID) }
    }

    public func streamVersion(_ streamID: StreamID) async throws(EventStoreError) -> Int? {
        state.withLock { $0.streams[streamID]?.count }
    }

    public func listStreams(after streamID: StreamID?, limit: Int) async throws(EventStoreError) -> [StreamHead] {
        state.withLock { state in
            // Byte order of the UTF-8, as the database's C collation sorts text.
            let after = Array((streamID?.rawValue ?? "").utf8)
            return state.streams
                .map { (name: Array($0.key.rawValue.utf8), head: StreamHead(streamID: $0.key, version: $0.value.count)) }
                .filter { after.lexicographicallyPrecedes($0.name) }
                .sorted { $0.name.lexicographicallyPrecedes($1.name) }
                .prefix(max(0, limit))
                .map(\.head)
        }
    }

    public func appendResult(forCommand commandID: String) async throws(EventStoreError) -> AppendResult? {
        state.withLock { state in
            guard var result = state.commands[commandID] else { return nil }
            result.isDuplicate = true
            return result
        }
    }
}

extension InMemoryEventStore: IdempotencyKeyStore {
    public func idempotentRequest(_ commandID: String) async throws(EventStoreError) -> IdempotentRequest? {
        state.withLock { state in Self.request(commandID, in: state) }
    }

    public func recordAnswer(_ commandID: String, fingerprint: String, answer: RecordedAnswer) async throws(EventStoreError) -> IdempotentRequest {
        let now = now()
        return state.withLock { state in
            if let stored = Self.request(commandID, in: state) { return stored }
            if var appended = state.commands[commandID] {
                appended.isDuplicate = true
                return IdempotentRequest(fingerprint: fingerprint, answer: .appended(appended))
            }
            state.keys[commandID] = (fingerprint, answer, now)
            return IdempotentRequest(fingerprint: fingerprint, answer: .recorded(answer))
        }
    }

    public func expireIdempotencyKeys(olderThan retention: Duration, limit: Int) async throws(EventStoreError) -> Int {
        let cutoff = now().addingTimeInterval(-(retention / .seconds(1)))
        return state.withLock { state in
            let expired = state.keys.filter { $0.value.recordedAt < cutoff }
                .sorted { $0.value.recordedAt < $1.value.recordedAt }
                .prefix(max(0, limit))
            for (key, _) in expired { state.keys[key] = nil }
            return expired.count
        }
    }

    private static func request(_ commandID: String, in state: State) -> IdempotentRequest? {
        guard let key = state.keys[commandID] else { return nil }
        if let answer = key.answer { return IdempotentRequest(fingerprint: key.fingerprint, answer: .recorded(answer)) }
        guard var appended = state.commands[commandID] else { return nil }
        appended.isDuplicate = true
        return IdempotentRequest(fingerprint: key.fingerprint, answer: .appended(appended))
    }
}

extension InMemoryEventStore: StreamSnapshotStore {
    public func snapshot(of streamID: StreamID) async throws(EventStoreError) -> StreamSnapshot? {
        state.withLock { $0.snapshots[streamID] }
    }

    public func saveSnapshot(_ snapshot: StreamSnapshot) async throws(EventStoreError) {
        state.withLock { state in
            if let kept = state.snapshots[snapshot.streamID], kept.version >= snapshot.version { return }
            state.snapshots[snapshot.streamID] = snapshot
        }
    }
}
