import Foundation
import Postgres
import RepriseEventLog

/// Decodes the columns of `Statements.eventColumns` into a `RecordedEvent`.
enum RecordedEventColumns {
    static func decode(_ row: PostgresRow) throws -> RecordedEvent {
        let transactionText = try row.decode(String.self, at: 0)
        guard let transactionID = UInt64(transactionText) else {
            throw EventStoreError(code: .unavailable, message: "transaction id '\(transactionText)' is not a number")
        }
        return RecordedEvent(
            cursor: LogCursor(transactionID: transactionID, position: try row.decode(Int64.self, at: 1)),
            eventID: try row.decode(UUID.self, at: 2),
            streamID: StreamID(try row.decode(String.self, at: 3)),
            streamVersion: try row.decode(Int.self, at: 4),
            type: try row.decode(String.self, at: 5),
            schemaVersion: try row.decode(Int.self, at: 6),
            data: Array(try row.decode(String.self, at: 7).utf8),
            metadata: EventMetadata(
                correlationID: try row.decode(UUID.self, at: 8),
                causationID: try row.decode(UUID?.self, at: 9),
                actor: try row.decode(String.self, at: 10)
            ),
            commandID: try row.decode(String.self, at: 11),
            recordedAtMicroseconds: try row.decode(Int64.self, at: 12),
            previousHash: try row.decode([UInt8]?.self, at: 13),
            hash: try row.decode([UInt8].self, at: 14)
        )
    }
}
