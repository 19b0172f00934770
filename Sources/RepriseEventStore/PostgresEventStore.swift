import Foundation
import Logging
import Postgres
import RepriseDomain
import RepriseEventLog

/// The event log in PostgreSQL: `EventStore` over the tables and the `reprise_append_batch`
/// function of `migrations/0001_event_store.sql`.
///
/// An append is one round trip: `reprise_append_batch` checks the command id,
/// compare-and-sets each stream's version, chains the hashes and inserts the events, all
/// in the one transaction of its statement. Appends that arrive while earlier ones are in
/// flight are group-committed in one such call (`AppendBatcher`); each stays all or
/// nothing on its own. Reading the whole log takes only rows below the
/// visibility horizon, so a follower never skips an event that commits late.
public final class PostgresEventStore: EventStore {
    let pool: PostgresConnectionPool
    private let logger: Logger
    private let batcher: AppendBatcher

    /// Runs statements on the store's pool: for the reads in `EventSequence`.
    public var executor: some PostgresExecutor { pool }

    /// `concurrentBatches` caps how many append batches are in flight at once; appends
    /// that arrive meanwhile wait and go together in the next batch.
    public init(pool: PostgresConnectionPool, logger: Logger, concurrentBatches: Int = 2) {
        self.pool = pool
        self.logger = logger
        self.batcher = AppendBatcher(maxConcurrentBatches: concurrentBatches) { calls throws(EventStoreError) in
            try await Self.execute(calls, on: pool)
        }
    }

    // MARK: Append

    @discardableResult
    public func append(_ request: AppendRequest) async throws(EventStoreError) -> AppendResult {
        try await batcher.submit(try AppendCall(request))
    }

    /// Appends `requests` in one round trip and in this order, each all or nothing on its
    /// own: for imports and benchmarks that must keep the order of commands across streams
    /// (concurrent `append`s are group-committed in whatever order they arrive).
    public func appendInOrder(_ requests: [AppendRequest]) async throws(EventStoreError) -> [Result<AppendResult, EventStoreError>] {
        var calls: [AppendCall] = []
        for request in requests { calls.append(try AppendCall(request)) }
        return try await Self.execute(calls, on: pool)
    }

    /// Runs one `reprise_append_batch` call and returns each command's outcome, in order.
    private static func execute(
        _ calls: [AppendCall], on pool: PostgresConnectionPool
    ) async throws(EventStoreError) -> [Result<AppendResult, EventStoreError>] {
        do {
            let rows = try await pool.execute(Statements.appendBatch, AppendCall.batchBindings(calls))
            guard let row = rows.first else {
                throw EventStoreError(code: .unavailable, message: "reprise_append_batch returned no row")
            }
            let outcomes = try row.decode(PostgresJSONB.self, at: 0).decode([StoredAppendOutcome].self)
            guard outcomes.count == calls.count else {
                throw EventStoreError(code: .unavailable, message: "reprise_append_batch answered \(outcomes.count) of \(calls.count) commands")
            }
            return outcomes.map(\.result)
        } catch let error as EventStoreError {
            throw error
        } catch let error as PostgresError {
            throw Self.map(error)
        } catch {
            throw EventStoreError(code: .unavailable, message: "append failed: \(error)")
        }
    }

    static func map(_ error: PostgresError) -> EventStoreError {
        switch error.code {
        case PostgresError.Code(sqlState: "RP002"):
            return EventStoreError(code: .invalidAppend, message: error.message)
        case .uniqueViolation where error.constraint == "events_event_id_key":
            return EventStoreError(code: .duplicateEventID, message: "an event with this id is already stored")
        case .invalidTextRepresentation, .checkViolation, .notNullViolation:
            return EventStoreError(code: .invalidAppend, message: error.message)
        default:
            return EventStoreError(code: .unavailable, message: "event store: \(error)")
        }
    }

    // MARK: Read

    public func readStream(
        _ streamID: StreamID, from version: StreamPosition, direction: ReadDirection, limit: Int
    ) async throws(EventStoreError) -> [RecordedEvent] {
        let start: Int
        switch (version, direction) {
        case (.start, _): start = direction == .forward ? 1 : 0
        case (.end, .forward): start = Int(Int32.max)
        case (.end, .backward): start = Int(Int32.max)
        case (.version(let number), _): start = number
        }
        let statement = direction == .forward ? Statements.readStreamForward : Statements.readStreamBackward
        return try await read(statement, [streamID.rawValue, start, max(0, limit)])
    }

    public func readLog(after cursor: LogCursor?, limit: Int) async throws(EventStoreError) -> LogPage {
        let after = cursor ?? LogCursor(transactionID: 0, position: 0)
        let events = try await read(Statements.readLog, [String(after.transactionID), after.position, max(0, limit)])
        return LogPage(events: events, cursor: events.last?.cursor ?? cursor)
    }

    public func logHorizon() async throws(EventStoreError) -> LogHorizon {
        do {
            let rows = try await pool.execute(Statements.horizon)
            guard let row = rows.first,
                  let stable = UInt64(try row.decode(String.self, at: 0)),
                  let next = UInt64(try row.decode(String.self, at: 1))
            else {
                throw EventStoreError(code: .unavailable, message: "the visibility horizon could not be read")
            }
            return LogHorizon(stableBelow: stable, nextTransactionID: next)
        } catch let error as EventStoreError {
            throw error
        } catch let error as PostgresError {
            throw Self.map(error)
        } catch {
            throw EventStoreError(code: .unavailable, message: "reading the visibility horizon failed: \(error)")
        }
    }

    public func streamVersion(_ streamID: StreamID) async throws(EventStoreError) -> Int? {
        do {
            let rows = try await pool.execute(Statements.streamVersion, [streamID.rawValue])
            return try rows.first?.decode(Int.self, at: 0)
        } catch let error as PostgresError {
            throw Self.map(error)
        } catch {
            throw EventStoreError(code: .unavailable, message: "reading the version of \(streamID) failed: \(error)")
        }
    }

    public func listStreams(after streamID: StreamID?, limit: Int) async throws(EventStoreError) -> [StreamHead] {
        do {
            let rows = try await pool.execute(Statements.listStreams, [streamID?.rawValue ?? "", max(0, limit)])
            return try rows.map { StreamHead(streamID: StreamID(try $0.decode(String.self, at: 0)), version: try $0.decode(Int.self, at: 1)) }
        } catch let error as PostgresError {
            throw Self.map(error)
        } catch {
            throw EventStoreError(code: .unavailable, message: "listing streams failed: \(error)")
        }
    }

    public func appendResult(forCommand commandID: String) async throws(EventStoreError) -> AppendResult? {
        do {
            let rows = try await pool.execute(Statements.commandResult, [commandID])
            guard let row = rows.first else { return nil }
            let stored = try row.decode(PostgresJSONB.self, at: 0).decode(StoredAppendOutcome.self)
            guard case .success(var result) = stored.result else { return nil }
            result.isDuplicate = true
            return result
        } catch let error as EventStoreError {
            throw error
        } catch let error as PostgresError {
            throw Self.map(error)
        } catch {
            throw EventStoreError(code: .unavailable, message: "reading command \(commandID) failed: \(error)")
        }
    }

    private func read(_ statement: PostgresPreparedStatement, _ binds: PostgresBindings) async throws(EventStoreError) -> [RecordedEvent] {
        do {
            let rows = try await pool.execute(statement, binds)
            return try rows.map { try RecordedEventColumns.decode($0) }
        } catch let error as PostgresError {
            throw Self.map(error)
        } catch {
            throw EventStoreError(code: .unavailable, message: "reading events failed: \(error)")
        }
    }
}

/// One command's append, checked and in the order `reprise_append_batch` wants it.
struct AppendCall: Sendable {
    let commandID: String
    let metadata: EventMetadata
    /// The request's fingerprint, '' without an idempotency key.
    let requestFingerprint: String
    /// Sorted by stream id: one lock order for everybody means no deadlocks.
    let streams: [StreamAppend]
    /// Each event's data as text, stream by stream, event by event.
    let data: [[String]]

    var eventCount: Int { streams.reduce(0) { $0 + $1.events.count } }

    init(_ request: AppendRequest) throws(EventStoreError) {
        // Checked here, because one unparsable value would fail a whole batch.
        let streams = try request.validatedStreams()
        self.commandID = request.commandID
        self.metadata = request.metadata
        self.requestFingerprint = request.requestFingerprint ?? ""
        self.streams = streams
        self.data = streams.map { stream in stream.events.map { String(decoding: $0.data, as: UTF8.self) } }
    }

    /// The binds of one `reprise_append_batch` call for `calls`, in order.
    static func batchBindings(_ calls: [AppendCall]) -> PostgresBindings {
        var appendCommands: [Int] = []
        var streamIDs: [String] = []
        var expectedVersions: [Int] = []
        var eventAppends: [Int] = []
        var eventIDs: [String] = []
        var types: [String] = []
        var schemaVersions: [Int] = []
        var data: [String] = []
        for (commandIndex, call) in calls.enumerated() {
            for (streamIndex, stream) in call.streams.enumerated() {
                appendCommands.append(commandIndex + 1)
                streamIDs.append(stream.streamID.rawValue)
                expectedVersions.append(stream.expectedVersion.sqlValue)
                for (eventIndex, event) in stream.events.enumerated() {
                    eventAppends.append(streamIDs.count)
                    eventIDs.append(event.eventID.lowercasedText)
                    types.append(event.type)
                    schemaVersions.append(event.schemaVersion)
                    data.append(call.data[streamIndex][eventIndex])
                }
            }
        }
        return [
            calls.map(\.commandID),
            calls.map { $0.metadata.correlationID.lowercasedText },
            calls.map { $0.metadata.causationID?.lowercasedText ?? "" },
            calls.map(\.metadata.actor),
            appendCommands,
            streamIDs,
            expectedVersions,
            eventAppends,
            eventIDs,
            types,
            schemaVersions,
            data,
            calls.map(\.requestFingerprint),
        ]
    }
}

/// One command's outcome as `reprise_append_batch` reports it (also the stored result).
struct StoredAppendOutcome: Decodable {
    struct Stream: Decodable {
        let streamId: String
        let previousVersion: Int
        let version: Int
    }

    let status: String?
    let streams: [Stream]?
    let eventCount: Int?
    let recordedAtMicroseconds: Int64?
    let streamId: String?
    let expectedVersion: Int?
    let actualVersion: Int?

    var result: Result<AppendResult, EventStoreError> {
        if status == "conflict" {
            return .failure(.wrongExpectedVersion(
                StreamID(streamId ?? "?"), expected: ExpectedVersion(sqlValue: expectedVersion ?? -1), actual: actualVersion ?? 0
            ))
        }
        return .success(AppendResult(
            streams: (streams ?? []).map {
                AppendResult.Stream(streamID: StreamID($0.streamId), previousVersion: $0.previousVersion, version: $0.version)
            },
            eventCount: eventCount ?? 0,
            recordedAt: Timestamp.date(microsecondsSinceEpoch: recordedAtMicroseconds ?? 0),
            isDuplicate: status == "duplicate"
        ))
    }
}

extension ExpectedVersion {
    init(sqlValue: Int) {
        switch sqlValue {
        case -1: self = .any
        case 0: self = .noStream
        default: self = .exactly(sqlValue)
        }
    }
}
