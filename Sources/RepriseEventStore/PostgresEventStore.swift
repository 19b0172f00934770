import Foundation
import Logging
import Postgres
import RepriseEventLog

/// The event log in PostgreSQL: `EventStore` over the tables and the `reprise_append`
/// function of `migrations/0001_event_store.sql`.
///
/// An append is one round trip: the function checks the command id, compare-and-sets
/// each stream's version, chains the hashes and inserts the events, all in the one
/// transaction of its statement. Reading the whole log takes only rows below the
/// visibility horizon, so a follower never skips an event that commits late.
public final class PostgresEventStore: EventStore {
    private let pool: PostgresConnectionPool
    private let logger: Logger

    public init(pool: PostgresConnectionPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    // MARK: Append

    @discardableResult
    public func append(_ request: AppendRequest) async throws(EventStoreError) -> AppendResult {
        let call = try AppendCall(request)
        // A concurrent retry of the same command can pass the function's check of the
        // commands table before the first one commits; it then fails on the table's key,
        // and asking again returns the first result.
        for attempt in 1...2 {
            do {
                let rows = try await pool.execute(Statements.append, call.bindings)
                return try Self.decodeAppendResult(rows)
            } catch let error as PostgresError where error.code == .uniqueViolation && error.constraint == "commands_pkey" && attempt == 1 {
                continue
            } catch let error as PostgresError {
                throw Self.map(error)
            } catch let error as EventStoreError {
                throw error
            } catch {
                throw EventStoreError(code: .unavailable, message: "append failed: \(error)")
            }
        }
        throw EventStoreError(code: .unavailable, message: "append of command \(request.commandID) conflicted with its own retry twice")
    }

    private static func decodeAppendResult(_ rows: PostgresRows) throws -> AppendResult {
        guard let row = rows.first else {
            throw EventStoreError(code: .unavailable, message: "reprise_append returned no row")
        }
        let json = try row.decode(PostgresJSONB.self, at: 0)
        let stored = try json.decode(StoredAppendResult.self)
        return AppendResult(
            streams: stored.streams.map {
                AppendResult.Stream(streamID: StreamID($0.streamId), previousVersion: $0.previousVersion, version: $0.version)
            },
            eventCount: stored.eventCount,
            recordedAt: Date(timeIntervalSince1970: Double(stored.recordedAtMicroseconds) / 1_000_000),
            isDuplicate: stored.duplicate ?? false
        )
    }

    private static func map(_ error: PostgresError) -> EventStoreError {
        switch error.code {
        case PostgresError.Code(sqlState: "RP001"):
            let detail = error.detail.flatMap { try? JSONDecoder().decode(ConflictDetail.self, from: Data($0.utf8)) }
            guard let detail else {
                return EventStoreError(code: .wrongExpectedVersion, message: error.message)
            }
            return .wrongExpectedVersion(
                StreamID(detail.streamId),
                expected: ExpectedVersion(sqlValue: detail.expectedVersion),
                actual: detail.actualVersion
            )
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
            guard !rows.isEmpty else { return nil }
            var result = try Self.decodeAppendResult(rows)
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
            return try rows.map(RecordedEventColumns.decode)
        } catch let error as PostgresError {
            throw Self.map(error)
        } catch {
            throw EventStoreError(code: .unavailable, message: "reading events failed: \(error)")
        }
    }
}

/// The binds of one `reprise_append` call, built from a request after checking it.
struct AppendCall {
    let bindings: PostgresBindings

    init(_ request: AppendRequest) throws(EventStoreError) {
        guard !request.streams.isEmpty else {
            throw EventStoreError(code: .invalidAppend, message: "an append needs at least one stream")
        }
        // Streams are locked in this order; one order for everybody means no deadlocks.
        let streams = request.streams.sorted { $0.streamID.rawValue < $1.streamID.rawValue }
        var seen = Set<StreamID>()
        var eventStreams: [Int] = []
        var eventIDs: [String] = []
        var types: [String] = []
        var schemaVersions: [Int] = []
        var data: [String] = []
        for (index, stream) in streams.enumerated() {
            guard seen.insert(stream.streamID).inserted else {
                throw EventStoreError(code: .invalidAppend, message: "stream \(stream.streamID) appears twice in one append", streamID: stream.streamID)
            }
            guard !stream.events.isEmpty else {
                throw EventStoreError(code: .invalidAppend, message: "no events for stream \(stream.streamID)", streamID: stream.streamID)
            }
            if case .exactly(let version) = stream.expectedVersion, version < 1 {
                throw EventStoreError(code: .invalidAppend, message: "an exact expected version is 1 or more", streamID: stream.streamID)
            }
            for event in stream.events {
                guard event.data.first(where: { !Self.isJSONWhitespace($0) }) == UInt8(ascii: "{") else {
                    throw EventStoreError(code: .invalidAppend, message: "event \(event.type) data is not a JSON object", streamID: stream.streamID)
                }
                guard let text = String(validating: event.data, as: UTF8.self) else {
                    throw EventStoreError(code: .invalidAppend, message: "event \(event.type) data is not UTF-8", streamID: stream.streamID)
                }
                eventStreams.append(index + 1)
                eventIDs.append(event.eventID.uuidString.lowercased())
                types.append(event.type)
                schemaVersions.append(event.schemaVersion)
                data.append(text)
            }
        }
        bindings = [
            request.commandID,
            streams.map(\.streamID.rawValue),
            streams.map(\.expectedVersion.sqlValue),
            eventStreams,
            eventIDs,
            types,
            schemaVersions,
            data,
            request.metadata.correlationID,
            request.metadata.causationID,
            request.metadata.actor,
        ]
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}

/// The JSON `reprise_append` returns.
private struct StoredAppendResult: Decodable {
    struct Stream: Decodable {
        let streamId: String
        let previousVersion: Int
        let version: Int
    }

    let streams: [Stream]
    let eventCount: Int
    let recordedAtMicroseconds: Int64
    let duplicate: Bool?
}

/// The DETAIL of an RP001 conflict.
private struct ConflictDetail: Decodable {
    let streamId: String
    let expectedVersion: Int
    let actualVersion: Int
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
