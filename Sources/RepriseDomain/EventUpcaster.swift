import Foundation

/// Lifts stored JSON of an older event version to the current one, one version at a time.
///
/// Stored events are never rewritten: an event type that changes shape gets a new version,
/// and its old JSON is upcast here each time it is read. Each step is a pure function on
/// JSON, so it needs none of the old Swift types.
public enum EventUpcaster {
    /// One step: JSON of `type` at `fromVersion` becomes JSON at `fromVersion + 1`.
    struct Step: Sendable {
        var type: String
        var fromVersion: Int
        var lift: @Sendable (_ object: [String: JSONValue]) throws(EventCodecError) -> [String: JSONValue]
    }

    static let steps: [Step] = [
        Step(type: SubcampaignAdded.eventType, fromVersion: 1, lift: subcampaignAddedV1toV2),
    ]

    /// The versions of `type` older than the current one that can still be read.
    public static func olderVersions(of type: String) -> [Int] {
        steps.filter { $0.type == type }.map(\.fromVersion).sorted()
    }

    /// `data` of `type` at `schemaVersion`, lifted to `target`. Current data passes untouched.
    public static func upcast(
        type: String, schemaVersion: Int, data: [UInt8], to target: Int
    ) throws(EventCodecError) -> [UInt8] {
        guard schemaVersion != target else { return data }
        guard schemaVersion >= 1, schemaVersion < target else {
            throw EventCodecError(
                .unknownSchemaVersion, type: type, schemaVersion: schemaVersion,
                "\(type) has no schema version \(schemaVersion); the current one is \(target)"
            )
        }
        var object = try parseObject(type: type, schemaVersion: schemaVersion, data: data)
        for version in schemaVersion..<target {
            guard let step = steps.first(where: { $0.type == type && $0.fromVersion == version }) else {
                throw EventCodecError(
                    .unknownSchemaVersion, type: type, schemaVersion: schemaVersion,
                    "\(type) v\(version) cannot be read: no upcaster lifts it to v\(version + 1)"
                )
            }
            object = try step.lift(object)
        }
        return EventCodec.encodeJSON(object)
    }

    private static func parseObject(
        type: String, schemaVersion: Int, data: [UInt8]
    ) throws(EventCodecError) -> [String: JSONValue] {
        do {
            guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: Data(data)) else {
                throw EventCodecError(.malformedData, type: type, schemaVersion: schemaVersion, "event data is not a JSON object")
            }
            return object
        } catch let error as EventCodecError {
            throw error
        } catch {
            throw EventCodecError(.malformedData, type: type, schemaVersion: schemaVersion, EventCodec.describe(error))
        }
    }

    // MARK: Steps

    /// `subcampaign.added` v1 priced every subcampaign by CPM, as a bare `cpmMinor` integer;
    /// v2 has `pricing: {model, amountMinor}` so that CPC can be expressed.
    static func subcampaignAddedV1toV2(_ v1: [String: JSONValue]) throws(EventCodecError) -> [String: JSONValue] {
        guard case .integer(let cpmMinor) = v1["cpmMinor"] else {
            throw EventCodecError(
                .malformedData, type: SubcampaignAdded.eventType, schemaVersion: 1,
                "v1 data needs an integer \"cpmMinor\""
            )
        }
        var v2 = v1
        v2["cpmMinor"] = nil
        v2["pricing"] = .object(["model": .string(Pricing.Model.cpm.rawValue), "amountMinor": .integer(cpmMinor)])
        return v2
    }
}
