import Foundation
import RepriseEventLog

/// Small builders that keep the tests about behaviour rather than construction.
enum Fixtures {
    static let metadata = EventMetadata(correlationID: UUID(), causationID: nil, actor: "test")

    static func event(_ type: String = "test.happened", _ json: String = #"{"n": 1}"#) -> NewEvent {
        NewEvent(eventID: UUID(), type: type, schemaVersion: 1, data: Array(json.utf8))
    }

    static func append(
        _ streamID: StreamID, _ expected: ExpectedVersion, _ events: [NewEvent], commandID: String = UUID().uuidString
    ) -> AppendRequest {
        AppendRequest(
            commandID: commandID,
            streams: [StreamAppend(streamID: streamID, expectedVersion: expected, events: events)],
            metadata: metadata
        )
    }
}
