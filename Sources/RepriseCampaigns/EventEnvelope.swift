import Foundation
import RepriseDomain
import RepriseEventLog

/// A stored event as JSON, in the shape of `schemas/events/envelope.v1.json`: what
/// `reprise audit history --json` prints and the HTTP history endpoint returns.
public enum EventEnvelope {
    public static func json(_ event: RecordedEvent) -> JSONValue {
        let data = (try? JSONDecoder().decode(JSONValue.self, from: Data(event.data))) ?? .object([:])
        let recordedAt = (try? Timestamp(microsecondsSinceEpoch: event.recordedAtMicroseconds).iso8601) ?? ""
        return .object([
            "eventId": .string(event.eventID.lowercasedText),
            "streamId": .string(event.streamID.rawValue),
            "streamVersion": .integer(Int64(event.streamVersion)),
            "type": .string(event.type),
            "schemaVersion": .integer(Int64(event.schemaVersion)),
            "data": data,
            "correlationId": .string(event.metadata.correlationID.lowercasedText),
            "causationId": event.metadata.causationID.map { .string($0.lowercasedText) } ?? .null,
            "actor": .string(event.metadata.actor),
            "commandId": .string(event.commandID),
            "recordedAt": .string(recordedAt),
            "logPosition": .string(event.cursor.description),
            "hash": .string(Hex.encode(event.hash)),
            "previousHash": event.previousHash.map { .string(Hex.encode($0)) } ?? .null,
        ])
    }
}
