import Foundation
import RepriseDomain

/// How an event travels as a NATS message (schema `schemas/nats/event-message.v2.json`):
/// the subject names its category and type, the payload is the event's data exactly as
/// stored (the bytes the hash chain covers), and four headers carry the rest, so a consumer
/// rebuilds the `SequencedEvent` exactly.
///
/// What goes where, and why:
/// - `Nats-Msg-Id` is the event id: JetStream deduplicates on it, and no second header
///   repeats it.
/// - `traceparent` (W3C) carries the trace context, whose trace id is the correlation id:
///   tracing tools read it as is, and the correlation id is not repeated either.
/// - `Reprise-Event` holds what a consumer routes on without touching the payload: the
///   global sequence, the type and schema version, the stream and its version.
/// - `Reprise-Record` holds the rest of the stored row, which only a consumer rebuilding the
///   full record reads: time, log position, hashes, causation, actor and command id.
///
/// Version 1 set fifteen headers, one per column; setting them cost more than publishing.
/// The payload stays the stored data rather than an envelope, so the event schemas
/// (`schemas/events/`) validate it directly and the hash chain covers the bytes as sent.
/// Messages of version 1 still decode, for streams published before the change.
///
/// The relay encodes, projectors decode; both live on this one definition.
public enum EventMessage {
    /// Every subject starts with this prefix; the stream captures `events.>`. Tests use
    /// prefixes of their own, because two streams may not capture the same subjects.
    public static let defaultSubjectPrefix = "events"

    public enum Header {
        /// The event id. Set by the publisher from `messageID(of:)`; JetStream drops a second copy.
        public static let messageID = "Nats-Msg-Id"
        /// Set by the relay: the stream must end at N − 1 before message N.
        public static let expectedLastSequence = "Nats-Expected-Last-Sequence"
        /// Set by the relay: the stream's last message must be event N − 1 (by its id) before
        /// message N, so nothing published by someone else can stand in for an event.
        public static let expectedLastMessageID = "Nats-Expected-Last-Msg-Id"
        /// W3C trace context: the correlation id is the trace id, so one request's events
        /// share a trace; the span id is the event id's last 8 bytes.
        public static let traceparent = "traceparent"
        /// `<sequence> <type> <schema version> <stream id> <stream version>`.
        public static let event = "Reprise-Event"
        /// `<recorded at µs> <transaction id>:<position> <hash> <previous hash | -> <causation id | -> <actor> <command id>`.
        public static let record = "Reprise-Record"
    }

    /// The header names of version 1 (`schemas/nats/event-message.v1.json`, superseded):
    /// decoded still, never written.
    enum V1Header {
        static let sequence = "Reprise-Sequence"
        static let eventID = "Reprise-Event-Id"
        static let eventType = "Reprise-Event-Type"
        static let schemaVersion = "Reprise-Schema-Version"
        static let streamID = "Reprise-Stream-Id"
        static let streamVersion = "Reprise-Stream-Version"
        static let correlationID = "Reprise-Correlation-Id"
        static let causationID = "Reprise-Causation-Id"
        static let actor = "Reprise-Actor"
        static let commandID = "Reprise-Command-Id"
        static let recordedAt = "Reprise-Recorded-At"
        static let logPosition = "Reprise-Log-Position"
        static let hash = "Reprise-Hash"
        static let previousHash = "Reprise-Previous-Hash"
    }

    /// `events.campaign.created` for a `campaign.created` event.
    public static func subject(forType type: String, prefix: String = defaultSubjectPrefix) -> String { prefix + "." + type }

    /// The subject that matches every event of one category, such as `events.campaign.>`.
    public static func subject(forCategory category: String, prefix: String = defaultSubjectPrefix) -> String {
        prefix + "." + category + ".>"
    }

    /// The subject that matches every event.
    public static func allEvents(prefix: String = defaultSubjectPrefix) -> String { prefix + ".>" }

    /// The event id, lowercase: the message's `Nats-Msg-Id`.
    public static func messageID(of sequenced: SequencedEvent) -> String {
        var out = [UInt8]()
        out.reserveCapacity(36)
        appendUUID(sequenced.event.eventID, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The headers of the message for `sequenced` in the order they are set, without
    /// `Nats-Msg-Id` and `Nats-Expected-Last-Sequence` (the publisher sets those).
    public static func headerFields(for sequenced: SequencedEvent) -> [(name: String, value: String)] {
        let event = sequenced.event
        return [
            (Header.traceparent, traceparent(for: event)),
            (Header.event, eventHeader(for: sequenced)),
            (Header.record, recordHeader(for: event)),
        ]
    }

    /// `headerFields(for:)` as a dictionary.
    public static func headers(for sequenced: SequencedEvent) -> [String: String] {
        Dictionary(uniqueKeysWithValues: headerFields(for: sequenced).map { ($0.name, $0.value) })
    }

    /// The event id a stored message carries (either version), without decoding the rest.
    public static func eventID(in headers: [String: String]) -> String? {
        headers[Header.messageID] ?? headers[V1Header.eventID]
    }

    /// The stream id a stored message carries (either version), without decoding the rest.
    public static func streamID(in headers: [String: String]) -> String? {
        if let event = headers[Header.event] {
            let fields = event.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard fields.count == 5 else { return nil }
            return try? percentDecoded(Substring(fields[3]), header: Header.event)
        }
        return headers[V1Header.streamID].flatMap { try? percentDecoded(Substring($0), header: V1Header.streamID) }
    }

    /// Rebuilds the event from a message of either version. `streamSequence` is the
    /// message's sequence in the stream; it must equal the event's global sequence, or the
    /// stream is not the log.
    public static func decode(
        subject: String, headers: [String: String], payload: [UInt8], streamSequence: UInt64
    ) throws(EventMessageError) -> SequencedEvent {
        guard let event = headers[Header.event] else {
            return try decodeV1(subject: subject, headers: headers, payload: payload, streamSequence: streamSequence)
        }
        let fail = { (text: String) in EventMessageError(code: .malformedHeader, message: "message \(streamSequence): \(text)") }
        func required(_ name: String) throws(EventMessageError) -> String {
            guard let value = headers[name] else { throw EventMessageError(code: .missingHeader, message: "message \(streamSequence) has no \(name) header") }
            return value
        }
        func number<T: FixedWidthInteger>(_ field: Substring.UTF8View, _ what: String, as type: T.Type = T.self) throws(EventMessageError) -> T {
            guard let value = T(Substring(field)) else { throw fail("\(what) '\(Substring(field))' is not a number") }
            return value
        }
        func text(_ field: Substring.UTF8View, _ what: String) throws(EventMessageError) -> String {
            try percentDecoded(Substring(field), header: what)
        }
        func bytes(_ field: Substring.UTF8View, _ what: String) throws(EventMessageError) -> [UInt8] {
            guard let value = Hex.decode(utf8: field) else { throw fail("\(what) is not hex") }
            return value
        }
        func uuid(_ field: Substring.UTF8View, _ what: String) throws(EventMessageError) -> UUID {
            guard let value = parseUUID(field) else { throw fail("\(what) '\(Substring(field))' is not a UUID") }
            return value
        }

        let routing = event.utf8.split(separator: space, omittingEmptySubsequences: false)
        guard routing.count == 5 else { throw fail("\(Header.event) has \(routing.count) fields, not 5") }
        let sequence: UInt64 = try number(routing[0], "sequence")
        guard sequence == streamSequence else {
            throw EventMessageError(code: .sequenceMismatch, message: "message \(streamSequence) carries global sequence \(sequence)")
        }
        let type = try text(routing[1], "type")
        guard subject.hasSuffix("." + type) else { throw fail("subject \(subject) does not match type \(type)") }

        let recordText = try required(Header.record)
        let record = recordText.utf8.split(separator: space, omittingEmptySubsequences: false)
        guard record.count == 7 else { throw fail("\(Header.record) has \(record.count) fields, not 7") }
        let position = record[1].split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard position.count == 2 else { throw fail("log position '\(Substring(record[1]))' is not transaction:position") }

        // The correlation id is the traceparent's trace id: `00-<32 hex>-<16 hex>-01`.
        let trace = try required(Header.traceparent).utf8
        guard trace.count == 55, let correlation = Hex.decode(utf8: trace.dropFirst(3).prefix(32)).flatMap(makeUUID(bytes:)) else {
            throw fail("traceparent is not 00-<trace id>-<span id>-01")
        }
        let none = "-".utf8
        let parsed = RecordedEvent(
            cursor: LogCursor(transactionID: try number(position[0], "transaction id"), position: try number(position[1], "log position")),
            eventID: try uuid(try required(Header.messageID).utf8[...], "event id"),
            streamID: StreamID(try text(routing[3], "stream id")),
            streamVersion: try number(routing[4], "stream version"),
            type: type,
            schemaVersion: try number(routing[2], "schema version"),
            data: payload,
            metadata: EventMetadata(
                correlationID: correlation,
                causationID: record[4].elementsEqual(none) ? nil : try uuid(record[4], "causation id"),
                actor: try text(record[2], "actor")
            ),
            commandID: try text(record[3], "command id"),
            recordedAtMicroseconds: try number(record[0], "recorded at"),
            previousHash: record[5].elementsEqual(none) ? nil : try bytes(record[5], "previous hash"),
            hash: try bytes(record[6], "hash")
        )
        return SequencedEvent(globalSequence: sequence, event: parsed)
    }

    /// Version 1: one header per column.
    static func decodeV1(
        subject: String, headers: [String: String], payload: [UInt8], streamSequence: UInt64
    ) throws(EventMessageError) -> SequencedEvent {
        typealias Header = V1Header
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
        func decoded(_ name: String) throws(EventMessageError) -> String { try percentDecoded(Substring(try required(name)), header: name) }

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
            streamID: StreamID(try decoded(Header.streamID)),
            streamVersion: try number(Header.streamVersion),
            type: type,
            schemaVersion: try number(Header.schemaVersion),
            data: payload,
            metadata: EventMetadata(
                correlationID: try uuid(Header.correlationID, try required(Header.correlationID)),
                causationID: try headers[Header.causationID].map { (text) throws(EventMessageError) in try uuid(Header.causationID, text) },
                actor: try decoded(Header.actor)
            ),
            commandID: try decoded(Header.commandID),
            recordedAtMicroseconds: try number(Header.recordedAt),
            previousHash: try headers[Header.previousHash].map { (text) throws(EventMessageError) in try bytes(Header.previousHash, text) },
            hash: try bytes(Header.hash, try required(Header.hash))
        )
        return SequencedEvent(globalSequence: sequence, event: event)
    }

    // MARK: - Encoding: straight into bytes, one string per header

    private static let space = UInt8(ascii: " ")

    static func eventHeader(for sequenced: SequencedEvent) -> String {
        let event = sequenced.event
        var out = [UInt8]()
        out.reserveCapacity(96)
        out.append(contentsOf: String(sequenced.globalSequence).utf8)
        out.append(space)
        appendPercentEncoded(event.type, to: &out)
        out.append(space)
        out.append(contentsOf: String(event.schemaVersion).utf8)
        out.append(space)
        appendPercentEncoded(event.streamID.rawValue, to: &out)
        out.append(space)
        out.append(contentsOf: String(event.streamVersion).utf8)
        return String(decoding: out, as: UTF8.self)
    }

    // The hash comes last because it is never empty: a header value's trailing whitespace
    // is not guaranteed to survive, and an empty actor or command id is only a double space.
    static func recordHeader(for event: RecordedEvent) -> String {
        var out = [UInt8]()
        out.reserveCapacity(256)
        out.append(contentsOf: String(event.recordedAtMicroseconds).utf8)
        out.append(space)
        out.append(contentsOf: String(event.cursor.transactionID).utf8)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: String(event.cursor.position).utf8)
        out.append(space)
        appendPercentEncoded(event.metadata.actor, to: &out)
        out.append(space)
        appendPercentEncoded(event.commandID, to: &out)
        out.append(space)
        if let causation = event.metadata.causationID { appendUUID(causation, to: &out) } else { out.append(UInt8(ascii: "-")) }
        out.append(space)
        if let previous = event.previousHash { Hex.append(previous, to: &out) } else { out.append(UInt8(ascii: "-")) }
        out.append(space)
        Hex.append(event.hash, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func traceparent(for event: RecordedEvent) -> String {
        var out = [UInt8]()
        out.reserveCapacity(55)
        out.append(contentsOf: "00-".utf8)
        appendUUIDHex(event.metadata.correlationID, from: 0, dashes: false, to: &out)
        out.append(UInt8(ascii: "-"))
        appendUUIDHex(event.eventID, from: 8, dashes: false, to: &out)
        out.append(contentsOf: "-01".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendUUID(_ uuid: UUID, to out: inout [UInt8]) {
        appendUUIDHex(uuid, from: 0, dashes: true, to: &out)
    }

    /// The hex digits of `uuid`'s bytes from `from` on, with the canonical dashes or
    /// without; read field by field, because a tuple cannot be iterated without an array.
    private static func appendUUIDHex(_ uuid: UUID, from: Int, dashes: Bool, to out: inout [UInt8]) {
        let u = uuid.uuid
        func put(_ index: Int, _ byte: UInt8) {
            guard index >= from else { return }
            if dashes, index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
            Hex.append(CollectionOfOne(byte), to: &out)
        }
        put(0, u.0); put(1, u.1); put(2, u.2); put(3, u.3); put(4, u.4); put(5, u.5); put(6, u.6); put(7, u.7)
        put(8, u.8); put(9, u.9); put(10, u.10); put(11, u.11); put(12, u.12); put(13, u.13); put(14, u.14); put(15, u.15)
    }

    // Header values must be printable ASCII; fields are separated by spaces; actors, command
    // ids and stream ids come from callers. So spaces, anything outside printable ASCII, and
    // `%` itself are percent-encoded.
    private static func appendPercentEncoded(_ text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            if byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "%") {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(upperHexDigits[Int(byte >> 4)])
                out.append(upperHexDigits[Int(byte & 0x0F)])
            }
        }
    }

    private static let upperHexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    static func percentEncoded(_ text: String) -> String {
        var out = [UInt8]()
        appendPercentEncoded(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Decoding helpers

    static func percentDecoded(_ text: Substring, header: String) throws(EventMessageError) -> String {
        let utf8 = text.utf8
        // Most values have no escape: no copy then.
        guard utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            index = utf8.index(after: index)
            if byte == UInt8(ascii: "%") {
                guard utf8.distance(from: index, to: utf8.endIndex) >= 2,
                      let high = Hex.nibble(utf8[index]), let low = Hex.nibble(utf8[utf8.index(after: index)])
                else {
                    throw EventMessageError(code: .malformedHeader, message: "\(header) has a broken percent escape")
                }
                bytes.append(high << 4 | low)
                index = utf8.index(index, offsetBy: 2)
            } else {
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw EventMessageError(code: .malformedHeader, message: "\(header) is not UTF-8")
        }
        return decoded
    }

    /// A UUID in its 36-character text form, either case.
    static func parseUUID(_ text: Substring.UTF8View) -> UUID? {
        guard text.count == 36 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        var high: UInt8?
        for (offset, char) in text.enumerated() {
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                guard char == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard let value = Hex.nibble(char) else { return nil }
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return makeUUID(bytes: bytes)
    }

    private static func makeUUID(bytes b: [UInt8]) -> UUID? {
        guard b.count == 16 else { return nil }
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
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
