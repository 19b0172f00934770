import Crypto
import Foundation

/// The hash that chains each event to the one before it in its stream.
///
/// It must match `reprise_event_hash` in `migrations/0001_event_store.sql` bit for bit:
/// SHA-256 over the previous hash followed by each field as its UTF-8 byte length, a
/// colon and its text. `data` is the JSON text as PostgreSQL prints the stored `jsonb`.
/// Auditors recompute it here, independently of the database that wrote it.
public enum EventHash {
    public static func compute(
        previousHash: [UInt8]?, eventID: UUID, streamID: StreamID, streamVersion: Int, type: String,
        schemaVersion: Int, data: [UInt8], metadata: EventMetadata, commandID: String, recordedAtMicroseconds microseconds: Int64
    ) -> [UInt8] {
        let fields: [[UInt8]] = [
            Array(eventID.lowercasedText.utf8),
            Array(streamID.rawValue.utf8),
            Array(String(streamVersion).utf8),
            Array(type.utf8),
            Array(String(schemaVersion).utf8),
            data,
            Array(metadata.correlationID.lowercasedText.utf8),
            Array((metadata.causationID?.lowercasedText ?? "").utf8),
            Array(metadata.actor.utf8),
            Array(commandID.utf8),
            Array(String(microseconds).utf8),
        ]
        var hasher = SHA256()
        hasher.update(data: previousHash ?? [])
        for field in fields {
            hasher.update(data: Array("\(field.count):".utf8))
            hasher.update(data: field)
        }
        return Array(hasher.finalize())
    }

    /// Recomputes an event's hash from its stored fields.
    public static func compute(for event: RecordedEvent) -> [UInt8] {
        compute(
            previousHash: event.previousHash, eventID: event.eventID, streamID: event.streamID,
            streamVersion: event.streamVersion, type: event.type, schemaVersion: event.schemaVersion,
            data: event.data, metadata: event.metadata, commandID: event.commandID,
            recordedAtMicroseconds: event.recordedAtMicroseconds
        )
    }
}
