import Foundation
import RepriseEventLog
import Testing

@Suite struct EventMessageTests {
    static func event(
        sequence: UInt64 = 42, actor: String = "api-key:label-7", commandID: String = "cmd-1",
        causation: UUID? = UUID(), previousHash: [UInt8]? = Array(repeating: 0xAB, count: 32),
        streamID: String = "campaign-bench-1"
    ) -> SequencedEvent {
        SequencedEvent(globalSequence: sequence, event: RecordedEvent(
            cursor: LogCursor(transactionID: 987_654, position: 12), eventID: UUID(), streamID: StreamID(streamID),
            streamVersion: 3, type: "campaign.budget-changed", schemaVersion: 1, data: Array(#"{"budget":1}"#.utf8),
            metadata: EventMetadata(correlationID: UUID(), causationID: causation, actor: actor), commandID: commandID,
            recordedAtMicroseconds: 1_780_000_000_123_456, previousHash: previousHash, hash: (0..<32).map { UInt8($0) }
        ))
    }

    static func message(_ event: SequencedEvent) -> (subject: String, headers: [String: String]) {
        var headers = EventMessage.headers(for: event)
        headers[EventMessage.Header.messageID] = EventMessage.messageID(of: event)
        return (EventMessage.subject(forType: event.event.type), headers)
    }

    @Test("a message decodes into exactly the event it was encoded from")
    func roundTrip() throws {
        for event in [
            Self.event(),
            Self.event(causation: nil, previousHash: nil),
            // Separators, escapes, non-ASCII and empty text survive.
            Self.event(actor: "Åsa Öberg 100%", commandID: "", streamID: "campaign-a b"),
            Self.event(actor: "", commandID: "id with\r\nbreak"),
        ] {
            let (subject, headers) = Self.message(event)
            #expect(headers.count == 4)
            #expect(headers.values.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } })
            let decoded = try EventMessage.decode(subject: subject, headers: headers, payload: event.event.data, streamSequence: event.globalSequence)
            #expect(decoded == event)
            #expect(EventMessage.eventID(in: headers) == event.event.eventID.lowercasedText)
            #expect(EventMessage.streamID(in: headers) == event.event.streamID.rawValue)
        }
    }

    @Test("what a consumer routes on is readable without the payload")
    func routingHeader() {
        let event = Self.event()
        let headers = Self.message(event).headers
        #expect(headers[EventMessage.Header.event] == "42 campaign.budget-changed 1 campaign-bench-1 3")
        let correlation = event.event.metadata.correlationID.lowercasedText.replacingOccurrences(of: "-", with: "")
        let span = String(event.event.eventID.lowercasedText.replacingOccurrences(of: "-", with: "").suffix(16))
        #expect(headers[EventMessage.Header.traceparent] == "00-\(correlation)-\(span)-01")
    }

    @Test("a message of the superseded version 1 still decodes")
    func decodesVersion1() throws {
        let event = Self.event(actor: "Åsa 100%")
        let recorded = event.event
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        let headers: [String: String] = [
            "Nats-Msg-Id": recorded.eventID.lowercasedText,
            "Reprise-Sequence": "42",
            "Reprise-Event-Id": recorded.eventID.lowercasedText,
            "Reprise-Event-Type": recorded.type,
            "Reprise-Schema-Version": "1",
            "Reprise-Stream-Id": recorded.streamID.rawValue,
            "Reprise-Stream-Version": "3",
            "Reprise-Correlation-Id": recorded.metadata.correlationID.lowercasedText,
            "Reprise-Causation-Id": recorded.metadata.causationID!.lowercasedText,
            "Reprise-Actor": "%C3%85sa 100%25",
            "Reprise-Command-Id": recorded.commandID,
            "Reprise-Recorded-At": String(recorded.recordedAtMicroseconds),
            "Reprise-Log-Position": "987654:12",
            "Reprise-Hash": hex(recorded.hash),
            "Reprise-Previous-Hash": hex(recorded.previousHash!),
            "traceparent": "00-\(String(repeating: "0", count: 32))-\(String(repeating: "0", count: 16))-01",
        ]
        let decoded = try EventMessage.decode(
            subject: EventMessage.subject(forType: recorded.type), headers: headers, payload: recorded.data, streamSequence: 42
        )
        #expect(decoded == event)
        #expect(EventMessage.eventID(in: headers) == recorded.eventID.lowercasedText)
        #expect(EventMessage.streamID(in: headers) == recorded.streamID.rawValue)
    }

    @Test("a message that is not the event it claims to be does not decode")
    func refusesBrokenMessages() {
        let event = Self.event()
        let (subject, headers) = Self.message(event)
        func code(_ headers: [String: String], subject: String = subject, sequence: UInt64 = 42) -> EventMessageError.Code? {
            do {
                _ = try EventMessage.decode(subject: subject, headers: headers, payload: [], streamSequence: sequence)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code(headers, sequence: 41) == .sequenceMismatch)
        #expect(code(headers, subject: "events.campaign.created") == .malformedHeader)
        var missing = headers
        missing[EventMessage.Header.record] = nil
        #expect(code(missing) == .missingHeader)
        var short = headers
        short[EventMessage.Header.event] = "42 campaign.budget-changed 1"
        #expect(code(short) == .malformedHeader)
        var badHash = headers
        badHash[EventMessage.Header.record] = headers[EventMessage.Header.record]!.dropLast() + "z"
        #expect(code(badHash) == .malformedHeader)
        var badEscape = headers
        badEscape[EventMessage.Header.event] = "42 campaign.budget-changed 1 campaign%2 3"
        #expect(code(badEscape) == .malformedHeader)
    }
}
