import Foundation
import RepriseDomain

/// How an event travels as a NATS message: the subject names its category and type, the
/// payload is the event's data exactly as stored (the bytes the hash chain covers), and
/// headers carry everything else, so a consumer rebuilds the `SequencedEvent` exactly.
///
/// The relay encodes, projectors decode; both live on this one definition.
public enum EventMessage {
    /// Every subject starts with this prefix; the stream captures `events.>`. Tests use
    /// prefixes of their own, because two streams may not capture the same subjects.
    public static let defaultSubjectPrefix = "events"

    public enum Header {
        /// Set by the publisher from the event id; JetStream drops a second copy.
        public static let messageID = "Nats-Msg-Id"
        public static let sequence = "Reprise-Sequence"
        public static let eventID = "Reprise-Event-Id"
        public static let eventType = "Reprise-Event-Type"
        public static let schemaVersion = "Reprise-Schema-Version"
        public static let streamID = "Reprise-Stream-Id"
        public static let streamVersion = "Reprise-Stream-Version"
        public static let correlationID = "Reprise-Correlation-Id"
        public static let causationID = "Reprise-Causation-Id"
        public static let actor = "Reprise-Actor"
        public static let commandID = "Reprise-Command-Id"
        public static let recordedAt = "Reprise-Recorded-At"
        public static let logPosition = "Reprise-Log-Position"
        public static let hash = "Reprise-Hash"
        public static let previousHash = "Reprise-Previous-Hash"
        /// W3C trace context: the correlation id is the trace id, so one request's events
        /// share a trace; the span id is the event id's last 8 bytes.
        public static let traceparent = "traceparent"
    }

    /// `events.campaign.created` for a `campaign.created` event.
    public static func subject(forType type: String, prefix: String = defaultSubjectPrefix) -> String { prefix + "." + type }

    /// The subject that matches every event of one category, such as `events.campaign.>`.
    public static func subject(forCategory category: String, prefix: String = defaultSubjectPrefix) -> String {
        prefix + "." + category + ".>"
    }

    /// The subject that matches every event.
    public static func allEvents(prefix: String = defaultSubjectPrefix) -> String { prefix + ".>" }

    /// The headers of the message for `sequenced`, without `Nats-Msg-Id` (the publisher
    /// sets it from `messageID(of:)`).
    public static func headers(for sequenced: SequencedEvent) -> [String: String] {
        let event = sequenced.event
        var headers: [String: String] = [
            Header.sequence: String(sequenced.globalSequence),
            Header.eventID: event.eventID.lowercasedText,
            Header.eventType: event.type,
            Header.schemaVersion: String(event.schemaVersion),
            Header.streamID: percentEncoded(event.streamID.rawValue),
            Header.streamVersion: String(event.streamVersion),
            Header.correlationID: event.metadata.correlationID.lowercasedText,
            Header.actor: percentEncoded(event.metadata.actor),
            Header.commandID: percentEncoded(event.commandID),
            Header.recordedAt: String(event.recordedAtMicroseconds),
            Header.logPosition: event.cursor.description,
            Header.hash: Hex.encode(event.hash),
            Header.traceparent: traceparent(for: event),
        ]
        if let causation = event.metadata.causationID { headers[Header.causationID] = causation.lowercasedText }
        if let previous = event.previousHash { headers[Header.previousHash] = Hex.encode(previous) }
        return headers
    }

    public static func messageID(of sequenced: SequencedEvent) -> String { sequenced.event.eventID.lowercasedText }

    /// Rebuilds the event from a message. `streamSequence` is the message's sequence in the
    /// stream; it must equal the event's global sequence, or the stream is not the log.
    public static func decode(
        subject: String, headers: [String: String], payload: [UInt8], streamSequence: UInt64
    ) throws(EventMessageError) -> SequencedEvent {
        func required(_ name: String) throws(EventMessageError) -> String {
            guard let value = headers[name] else { throw EventMessageError(code: .missingHeader, message: "message \(streamSequence) has no \(name) header") }
            return value
        }
        func number<T: FixedWidthInteger>(_ name: String, as type: T.Type = T.self) throws(EventMessageError) -> T {
            let text = try required(name)
            guard let value = T(text) else { throw EventMessageError(code: .malformedHeader, message: "message \(streamSequence): \(name) '\(text)' is not a number") }
            return value
        }
        func uuid(_ name: String, _ text: String) throws(EventMessageError) -> UUID {
            guard let value = UUID(uuidString: text) else { throw EventMessageError(code: .malformedHeader, message: "message \(streamSequence): \(name) '\(text)' is not a UUID") }
            return value
        }
        func bytes(_ name: String, _ text: String) throws(EventMessageError) -> [UInt8] {
            guard let value = Hex.decode(text) else { throw EventMessageError(code: .malformedHeader, message: "message \(streamSequence): \(name) is not hex") }
            return value
        }

        let sequence: UInt64 = try number(Header.sequence)
        guard sequence == streamSequence else {
            throw EventMessageError(code: .sequenceMismatch, message: "message \(streamSequence) carries global sequence \(sequence)")
        }
        let type = try required(Header.eventType)
        guard subject.hasSuffix("." + type) else {
            throw EventMessageError(code: .malformedHeader, message: "message \(streamSequence): subject \(subject) does not match type \(type)")
        }
        let positionText = try required(Header.logPosition)
        let positionParts = positionText.split(separator: ":")
        guard positionParts.count == 2, let transactionID = UInt64(positionParts[0]), let position = Int64(positionParts[1]) else {
            throw EventMessageError(code: .malformedHeader, message: "message \(streamSequence): log position '\(positionText)' is not transaction:position")
        }
        let event = RecordedEvent(
            cursor: LogCursor(transactionID: transactionID, position: position),
            eventID: try uuid(Header.eventID, try required(Header.eventID)),
            streamID: StreamID(try percentDecoded(try required(Header.streamID), header: Header.streamID)),
            streamVersion: try number(Header.streamVersion),
            type: type,
            schemaVersion: try number(Header.schemaVersion),
            data: payload,
            metadata: EventMetadata(
                correlationID: try uuid(Header.correlationID, try required(Header.correlationID)),
                causationID: try headers[Header.causationID].map { (text) throws(EventMessageError) in try uuid(Header.causationID, text) },
                actor: try percentDecoded(try required(Header.actor), header: Header.actor)
            ),
            commandID: try percentDecoded(try required(Header.commandID), header: Header.commandID),
            recordedAtMicroseconds: try number(Header.recordedAt),
            previousHash: try headers[Header.previousHash].map { (text) throws(EventMessageError) in try bytes(Header.previousHash, text) },
            hash: try bytes(Header.hash, try required(Header.hash))
        )
        return SequencedEvent(globalSequence: sequence, event: event)
    }

    static func traceparent(for event: RecordedEvent) -> String {
        let trace = event.metadata.correlationID.lowercasedText.replacingOccurrences(of: "-", with: "")
        let span = String(event.eventID.lowercasedText.replacingOccurrences(of: "-", with: "").suffix(16))
        return "00-\(trace)-\(span)-01"
    }

    // Header values must be printable ASCII without CR/LF; actors and command ids come
    // from callers, so anything else (and `%` itself) is percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    static func percentDecoded(_ text: String, header: String) throws(EventMessageError) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else {
                    throw EventMessageError(code: .malformedHeader, message: "\(header) has a broken percent escape")
                }
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw EventMessageError(code: .malformedHeader, message: "\(header) is not UTF-8")
        }
        return decoded
    }
}

/// A message that does not decode into an event: a poison message for whoever reads it.
public struct EventMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let missingHeader = Code(rawValue: "missing_header")
        public static let malformedHeader = Code(rawValue: "malformed_header")
        /// The message's stream sequence differs from the global sequence it carries.
        public static let sequenceMismatch = Code(rawValue: "sequence_mismatch")
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
