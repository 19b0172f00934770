import Foundation
import RepriseDomain
import RepriseEventLog

/// Who holds a track: what the track catalog says, after an admin assigned it.
public struct TrackHolding: Sendable, Equatable, Encodable {
    public let trackId: TrackID
    public let ownerId: OwnerID
    /// The track stream's version: how many assignments it has had.
    public let version: Int

    public init(trackId: TrackID, ownerId: OwnerID, version: Int) {
        self.trackId = trackId
        self.ownerId = ownerId
        self.version = version
    }
}

/// The track catalog: which owner may promote which track, one stream of `track.assigned`
/// events per track (`track-<trackId>`).
///
/// Bookings are decided against it straight from the log, not through a projection: a
/// track assigned a moment ago can be promoted at once, and bookings go on while the relay
/// or the projectors are down. A booking reads only the streams of the tracks it promotes.
public struct TrackCatalog: Sendable {
    private let store: any EventStore
    private let eventIDs: EventIDGenerator

    public init(store: any EventStore, eventIDs: EventIDGenerator = EventIDGenerator()) {
        self.store = store
        self.eventIDs = eventIDs
    }

    /// The holder of a track, or nil if it was never assigned.
    public func holding(of track: TrackID) async throws(CommandError) -> TrackHolding? {
        let (assignments, version) = try await read(track)
        return TrackAssigned.holder(after: assignments).map { TrackHolding(trackId: track, ownerId: $0, version: version) }
    }

    /// The holder of each of `tracks` that has one.
    public func holders(of tracks: Set<TrackID>) async throws(CommandError) -> [TrackID: OwnerID] {
        var holders: [TrackID: OwnerID] = [:]
        // Sorted: the same command reads the same streams in the same order.
        for track in tracks.sorted() {
            if let holding = try await holding(of: track) { holders[track] = holding.ownerId }
        }
        return holders
    }

    /// Gives `track` to `owner`; a no-op when the owner holds it already. Two admins
    /// assigning one track at once both decide on the version they read, and the loser is
    /// decided again on the winner's assignment.
    @discardableResult
    public func assign(_ track: TrackID, to owner: OwnerID, envelope: CommandEnvelope) async throws(CommandError) -> TrackHolding {
        let streamID = StreamID(TrackAssigned.streamID(for: track))
        for _ in 0..<8 {
            let (assignments, version) = try await read(track)
            let events = TrackAssigned.decide(assign: track, to: owner, holder: TrackAssigned.holder(after: assignments))
            guard !events.isEmpty else { return TrackHolding(trackId: track, ownerId: owner, version: version) }
            let request = AppendRequest(
                commandID: envelope.commandID,
                streams: [StreamAppend(
                    streamID: streamID, expectedVersion: version == 0 ? .noStream : .exactly(version),
                    events: events.map { event in
                        let stored = TrackAssigned.encode(event)
                        return NewEvent(eventID: eventIDs.next(), type: stored.type, schemaVersion: stored.schemaVersion, data: stored.data)
                    }
                )],
                metadata: EventMetadata(correlationID: envelope.correlationID, causationID: envelope.causationID, actor: envelope.actor)
            )
            do {
                let result = try await store.append(request)
                return TrackHolding(trackId: track, ownerId: owner, version: result.streams.first?.version ?? version + events.count)
            } catch where error.code == .wrongExpectedVersion {
                continue
            } catch {
                throw CommandError.store(error)
            }
        }
        throw CommandError(.conflict, "track \(track) kept changing under this assignment; try again")
    }

    private func read(_ track: TrackID) async throws(CommandError) -> ([TrackAssigned], Int) {
        let streamID = StreamID(TrackAssigned.streamID(for: track))
        var assignments: [TrackAssigned] = []
        var version = 0
        // A track is assigned a handful of times in its life; pages only guard the unusual.
        while true {
            let page: [RecordedEvent]
            do {
                page = try await store.readStream(streamID, from: .version(version + 1), direction: .forward, limit: 1_000)
            } catch {
                throw CommandError.store(error)
            }
            for recorded in page {
                do {
                    assignments.append(try TrackAssigned.decode(type: recorded.type, schemaVersion: recorded.schemaVersion, data: recorded.data))
                } catch {
                    throw CommandError(
                        .unreadableHistory,
                        "event \(recorded.eventID) (\(streamID) version \(recorded.streamVersion)) cannot be read: \(error.message)"
                    )
                }
                version = recorded.streamVersion
            }
            guard page.count == 1_000 else { return (assignments, version) }
        }
    }
}

/// How many open campaigns (draft, active or paused) owners have: what the per-owner
/// limit (`BookingRules.maxOpenCampaignsPerOwner`) is checked against.
///
/// The platform counts them in the `campaigns` projection, which trails the log by the
/// relay's and the projector's lag: bookings within that lag of each other can overshoot
/// the limit by as many, and a stopped fan-out lets an owner go on booking against a stale
/// count until it catches up. One bulk buy is counted exactly (its items add up).
public protocol OpenCampaignCounter: Sendable {
    /// The open campaigns of each of `owners`; an owner with none may be missing.
    func openCampaigns(of owners: Set<OwnerID>) async throws(CommandError) -> [OwnerID: Int]
}
