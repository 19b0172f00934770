import Foundation

/// A track was put in an owner's hands: from now on campaigns of `ownerID`, and only
/// theirs, may promote it. `track.assigned` v1, in the track's own stream `track-<trackId>`.
///
/// The track catalog is these events, one stream per track, so that deciding a booking
/// reads the few streams it promotes, straight from the log: consistent with every earlier
/// assignment, and independent of the relay and the projectors. An admin appends them
/// (`PUT /tracks/{trackId}`); a later assignment to another owner moves the track.
public struct TrackAssigned: Codable, Hashable, Sendable {
    public static let eventType = "track.assigned"
    public static let schemaVersion = 1

    public var trackID: TrackID
    public var ownerID: OwnerID

    public init(trackID: TrackID, ownerID: OwnerID) {
        self.trackID = trackID
        self.ownerID = ownerID
    }

    enum CodingKeys: String, CodingKey { case trackID = "trackId", ownerID = "ownerId" }

    /// The stream that holds a track's assignments.
    public static func streamID(for track: TrackID) -> String { streamPrefix + track.rawValue }

    /// The track a stream id names, or nil if it is not a track stream.
    public static func trackID(fromStreamID streamID: String) -> TrackID? {
        guard streamID.hasPrefix(streamPrefix) else { return nil }
        return try? TrackID(String(streamID.dropFirst(streamPrefix.count)))
    }

    private static let streamPrefix = "track-"

    /// Who holds the track after its stream's assignments, oldest first: the last one's owner.
    public static func holder(after assignments: some Sequence<TrackAssigned>) -> OwnerID? {
        var holder: OwnerID?
        for assignment in assignments { holder = assignment.ownerID }
        return holder
    }

    /// The events that give `track` to `owner` when `holder` holds it now: none when the
    /// owner holds it already, so an assignment sent again is a no-op.
    public static func decide(assign track: TrackID, to owner: OwnerID, holder: OwnerID?) -> [TrackAssigned] {
        holder == owner ? [] : [TrackAssigned(trackID: track, ownerID: owner)]
    }

    /// The stored form, as `EventCodec.encode` gives it for campaign events: sorted keys, compact.
    public static func encode(_ event: TrackAssigned) -> (type: String, schemaVersion: Int, data: [UInt8]) {
        (eventType, schemaVersion, EventCodec.encodeJSON(event))
    }

    /// A stored assignment read back. Older versions go through `EventUpcaster`, as campaign
    /// events do, so a later shape needs only a step there and a schema file.
    public static func decode(type: String, schemaVersion: Int, data: [UInt8]) throws(EventCodecError) -> TrackAssigned {
        guard type == eventType else {
            throw EventCodecError(.unknownType, type: type, schemaVersion: schemaVersion, "\"\(type)\" is not \(eventType)")
        }
        let current = try EventUpcaster.upcast(type: type, schemaVersion: schemaVersion, data: data, to: TrackAssigned.schemaVersion)
        do {
            return try JSONDecoder().decode(TrackAssigned.self, from: Data(current))
        } catch {
            throw EventCodecError(.malformedData, type: type, schemaVersion: schemaVersion, EventCodec.describe(error))
        }
    }
}
