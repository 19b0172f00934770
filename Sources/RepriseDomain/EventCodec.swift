import Foundation

/// Turns events into stored JSON and back: `(type, schemaVersion, data)` triples.
///
/// Encoding always writes the current version with sorted keys and no insignificant
/// whitespace, so the same event always gives the same bytes (the store hashes them).
/// Decoding accepts every version in `knownVersions`, upcasting older ones first.
public enum EventCodec {
    /// Every event type the codec reads, with every schema version it reads, oldest first.
    public static var knownVersions: [String: [Int]] {
        var versions: [String: [Int]] = [:]
        for payloadType in CampaignEvent.payloadTypes {
            versions[payloadType.eventType] =
                EventUpcaster.olderVersions(of: payloadType.eventType) + [payloadType.schemaVersion]
        }
        return versions
    }

    /// The current (written) schema version of each event type.
    public static var currentVersions: [String: Int] {
        Dictionary(uniqueKeysWithValues: CampaignEvent.payloadTypes.map { ($0.eventType, $0.schemaVersion) })
    }

    public static func encode(_ event: CampaignEvent) -> (type: String, schemaVersion: Int, data: [UInt8]) {
        (event.type, event.schemaVersion, encodeJSON(event.payload))
    }

    public static func decode(type: String, schemaVersion: Int, data: [UInt8]) throws(EventCodecError) -> CampaignEvent {
        guard let payloadType = CampaignEvent.payloadTypes.first(where: { $0.eventType == type }) else {
            throw EventCodecError(.unknownType, type: type, schemaVersion: schemaVersion, "no event type is called \"\(type)\"")
        }
        let current = try EventUpcaster.upcast(
            type: type, schemaVersion: schemaVersion, data: data, to: payloadType.schemaVersion
        )
        do {
            return try decodePayload(payloadType, from: current)
        } catch {
            throw EventCodecError(.malformedData, type: type, schemaVersion: schemaVersion, describe(error))
        }
    }

    private static func decodePayload<Payload: CampaignEventPayload>(
        _: Payload.Type, from data: [UInt8]
    ) throws -> CampaignEvent {
        try JSONDecoder().decode(Payload.self, from: Data(data)).event
    }

    /// Canonical JSON for any value the domain writes: sorted keys, compact, `/` unescaped.
    static func encodeJSON(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            // Every value the domain writes is strings, integers, booleans and containers of
            // them, which JSONEncoder always encodes; an error here is a bug in this module.
            preconditionFailure("event payload failed to encode: \(error)")
        }
    }

    /// The part of a decoding error that tells someone which field is wrong.
    static func describe(_ error: any Error) -> String {
        let context: DecodingError.Context? =
            switch error as? DecodingError {
            case .typeMismatch(_, let context), .valueNotFound(_, let context),
                 .keyNotFound(_, let context), .dataCorrupted(let context): context
            default: nil
            }
        guard let context else { return String(describing: error) }
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        var message = context.debugDescription
        if case .keyNotFound(let key, _) = error as? DecodingError {
            message = "missing field \"\(key.stringValue)\""
        }
        return path.isEmpty ? message : "at \(path.dropFirst(path.hasPrefix(".") ? 1 : 0)): \(message)"
    }
}
