import Foundation
import Postgres
import RepriseEventLog

/// Decodes the columns of `Statements.eventColumns` into a `RecordedEvent`, from a statement
/// run with binary results (`Statements.eventRead`): ids come as their sixteen bytes, numbers
/// as big-endian integers, hashes as bytes and the data's text straight into `[UInt8]`, so a
/// row costs a few copies and the strings `RecordedEvent` holds, and no parsing.
enum RecordedEventColumns {
    /// `offset`: the index of the first event column, when the row has others before them.
    static func decode(_ row: PostgresRow, offset: Int = 0) throws -> RecordedEvent {
        let transactionText = try row.decode(String.self, at: offset)
        guard let transactionID = UInt64(transactionText) else {
            throw EventStoreError(code: .unavailable, message: "transaction id '\(transactionText)' is not a number")
        }
        return RecordedEvent(
            cursor: LogCursor(transactionID: transactionID, position: try row.decode(Int64.self, at: offset + 1)),
            eventID: try row.decode(UUID.self, at: offset + 2),
            streamID: StreamID(try row.decode(String.self, at: offset + 3)),
            streamVersion: try row.decode(Int.self, at: offset + 4),
            type: try row.decode(String.self, at: offset + 5),
            schemaVersion: try row.decode(Int.self, at: offset + 6),
            data: try row.decode([UInt8].self, at: offset + 7),
            metadata: EventMetadata(
                correlationID: try row.decode(UUID.self, at: offset + 8),
                causationID: try row.decode(UUID?.self, at: offset + 9),
                actor: try row.decode(String.self, at: offset + 10)
            ),
            commandID: try row.decode(String.self, at: offset + 11),
            recordedAtMicroseconds: try row.decode(Int64.self, at: offset + 12),
            previousHash: try row.decode([UInt8]?.self, at: offset + 13),
            hash: try row.decode([UInt8].self, at: offset + 14)
        )
    }
}
