import Foundation
import Logging
import RepriseDomain
import RepriseEventLog

/// Who sent a command, when, and under which id: everything but the command itself.
public struct CommandEnvelope: Sendable {
    /// The idempotency key: a retry carries the same id and gets the first outcome.
    public var commandID: String
    public var correlationID: UUID
    public var causationID: UUID?
    public var actor: String
    public var issuedAt: Timestamp
    /// With an idempotency key: the request's fingerprint, recorded with the key in the
    /// append's transaction (`AppendRequest.requestFingerprint`).
    public var requestFingerprint: String?

    public init(
        commandID: String, correlationID: UUID, causationID: UUID? = nil, actor: String, issuedAt: Timestamp,
        requestFingerprint: String? = nil
    ) {
        self.commandID = commandID
        self.correlationID = correlationID
        self.causationID = causationID
        self.actor = actor
        self.issuedAt = issuedAt
        self.requestFingerprint = requestFingerprint
    }
}

/// What a handled command did.
public struct CommandOutcome: Sendable {
    public let campaignID: CampaignID
    /// The campaign's version (its stream's) after the command.
    public let version: Int
    /// The events this command appended; empty when it changed nothing or was a retry.
    public let events: [CampaignEvent]
    /// True when the command id had been handled before; nothing new was appended.
    public let isDuplicate: Bool
    /// The campaign at `version`, when the handler decided the command and so already holds
    /// it; nil for a retry (rebuild it from the log at `version` then).
    public let campaign: Campaign?

    init(campaignID: CampaignID, version: Int, events: [CampaignEvent], isDuplicate: Bool, campaign: Campaign? = nil) {
        self.campaignID = campaignID
        self.version = version
        self.events = events
        self.isDuplicate = isDuplicate
        self.campaign = campaign
    }
}

/// Decides campaign commands against their history and appends the events.
///
/// Load the stream, replay it, decide, append with the loaded version as the expectation.
/// When another writer got there first, the command is decided again on the new history
/// (a few times), unless the caller pinned a version (HTTP If-Match), in which case the
/// mismatch is the answer.
public struct CampaignCommandHandler: Sendable {
    private let store: any EventStore
    private let eventIDs: EventIDGenerator
    private let logger: Logger
    private let campaignLocks = KeyedLock()
    private let states = CampaignStateCache()
    private let maxAttempts = 8
    private let rules: BookingRules
    private let openCampaigns: (any OpenCampaignCounter)?
    /// The track catalog bookings are checked against, and admins assign tracks through.
    public let tracks: TrackCatalog
    /// The markets' holiday calendars, which admins declare holidays in.
    public let calendar: HolidayCalendar

    /// Where campaign snapshots are kept; nil: every first read replays the whole history.
    private let snapshots: (any StreamSnapshotStore)?
    /// A read that replays at least this many events after the newest snapshot saves a new one.
    private let snapshotEvery: Int

    /// `openCampaigns`: where the per-owner limit is counted; nil leaves it unchecked.
    /// `snapshots`: where campaign snapshots are kept (the store itself, in the platform).
    public init(
        store: any EventStore, eventIDs: EventIDGenerator = EventIDGenerator(), logger: Logger,
        rules: BookingRules = .standard, openCampaigns: (any OpenCampaignCounter)? = nil,
        snapshots: (any StreamSnapshotStore)? = nil, snapshotEvery: Int = 100
    ) {
        self.store = store
        self.eventIDs = eventIDs
        self.logger = logger
        self.rules = rules
        self.openCampaigns = openCampaigns
        self.tracks = TrackCatalog(store: store, eventIDs: eventIDs)
        self.calendar = HolidayCalendar(store: store, eventIDs: eventIDs)
        self.snapshots = snapshots
        self.snapshotEvery = max(1, snapshotEvery)
    }

    /// What a command is decided with: its time, the rules, the holders of the tracks it
    /// promotes and, for bookings, the open campaigns of the owners it books for.
    private func context(
        _ envelope: CommandEnvelope, promoting tracks: Set<TrackID>, booking owners: Set<OwnerID>
    ) async throws(CommandError) -> CommandContext {
        var counts: [OwnerID: Int]? = nil
        if let openCampaigns, !owners.isEmpty { counts = try await openCampaigns.openCampaigns(of: owners) }
        return CommandContext(
            issuedAt: envelope.issuedAt, actor: envelope.actor, rules: rules,
            trackHolders: tracks.isEmpty ? [:] : try await self.tracks.holders(of: tracks), openCampaigns: counts
        )
    }

    /// Handles one command. `expectedVersion` makes it conditional on the campaign's version.
    @discardableResult
    public func handle(
        _ command: CampaignCommand, envelope: CommandEnvelope, expectedVersion: Int? = nil
    ) async throws(CommandError) -> CommandOutcome {
        do {
            return try await campaignLocks.withLock(command.campaignID.rawValue) {
                try await decideAndAppend(command, envelope: envelope, expectedVersion: expectedVersion)
            }
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError(.unavailable, "\(error)")
        }
    }

    private func decideAndAppend(
        _ command: CampaignCommand, envelope: CommandEnvelope, expectedVersion: Int?
    ) async throws(CommandError) -> CommandOutcome {
        let campaignID = command.campaignID
        let streamID = StreamID(Campaign.streamID(for: campaignID))
        var owners = Set<OwnerID>()
        if case .create(let create) = command { owners.insert(create.ownerID) }
        let context = try await context(envelope, promoting: command.promotedTracks, booking: owners)
        var lastConflict: EventStoreError?
        for attempt in 0..<maxAttempts {
            // The first attempt may start from the state this process last appended; a
            // pinned version that disagrees with it is checked against the store.
            var (state, version): (Campaign?, Int)
            var fromCache = false
            if attempt == 0, let cached = states.get(campaignID), expectedVersion == nil || expectedVersion == cached.1 {
                (state, version) = (cached.0, cached.1)
                fromCache = true
            } else {
                (state, version) = try await load(streamID)
            }
            if let expectedVersion, expectedVersion != version {
                throw CommandError(
                    .versionMismatch, "campaign \(campaignID) is at version \(version), not \(expectedVersion)",
                    actualVersion: version
                )
            }
            let events: [CampaignEvent]
            do {
                events = try Campaign.decide(command, state: state, context: context)
            } catch {
                // A refusal must rest on the stored history, never on a guess.
                if fromCache {
                    states.drop(campaignID)
                    continue
                }
                // A retry of a command that was already applied is judged against the state
                // it produced and may now be refused; the command id tells them apart.
                if let earlier = try await earlierOutcome(envelope.commandID, campaignID: campaignID) { return earlier }
                throw CommandError.rejected(error)
            }
            guard !events.isEmpty else {
                if fromCache {
                    states.drop(campaignID)
                    continue
                }
                return CommandOutcome(campaignID: campaignID, version: version, events: [], isDuplicate: false, campaign: state)
            }
            let request = AppendRequest(
                commandID: envelope.commandID,
                streams: [StreamAppend(
                    streamID: streamID,
                    expectedVersion: version == 0 ? .noStream : .exactly(version),
                    events: events.map(encode)
                )],
                metadata: EventMetadata(correlationID: envelope.correlationID, causationID: envelope.causationID, actor: envelope.actor),
                requestFingerprint: envelope.requestFingerprint
            )
            do {
                let result = try await store.append(request)
                let newVersion = result.streams.first?.version ?? version
                guard !result.isDuplicate else {
                    states.drop(campaignID)
                    return CommandOutcome(campaignID: campaignID, version: newVersion, events: [], isDuplicate: true)
                }
                var after = state
                for event in events { Campaign.apply(event, to: &after) }
                if let after { states.put(after, version: newVersion) }
                return CommandOutcome(campaignID: campaignID, version: newVersion, events: events, isDuplicate: false, campaign: after)
            } catch where error.code == .wrongExpectedVersion {
                states.drop(campaignID)
                if expectedVersion != nil {
                    throw CommandError(.versionMismatch, error.message, actualVersion: error.actualVersion)
                }
                lastConflict = error
                logger.debug("append conflict; deciding again", metadata: ["campaign.id": "\(campaignID)"])
                // Writers that collided would collide again in lockstep; spread them out.
                try? await Task.sleep(for: .microseconds(Int.random(in: 0...2_000)))
            } catch {
                // The append may have happened; the next command reads the store.
                states.drop(campaignID)
                throw CommandError.store(error)
            }
        }
        throw CommandError(
            .conflict, "campaign \(campaignID) kept changing under this command; try again",
            actualVersion: lastConflict?.actualVersion
        )
    }

    /// Books every campaign of a bulk buy in one atomic append, or none.
    @discardableResult
    public func bulkBuy(
        _ items: [CreateCampaignWithSubcampaigns], envelope: CommandEnvelope
    ) async throws(CommandError) -> [CommandOutcome] {
        var existing = Set<CampaignID>()
        for item in items {
            do {
                if try await store.streamVersion(StreamID(Campaign.streamID(for: item.campaign.campaignID))) != nil {
                    existing.insert(item.campaign.campaignID)
                }
            } catch {
                throw CommandError.store(error)
            }
        }
        let context = try await context(
            envelope, promoting: items.reduce(into: Set<TrackID>()) { $0.formUnion($1.promotedTracks) },
            booking: Set(items.map(\.campaign.ownerID))
        )
        let booked: [BulkBuy.BookedCampaign]
        do {
            booked = try BulkBuy.decide(items, existing: { existing.contains($0) }, context: context)
        } catch {
            if let result = try await earlierResult(envelope.commandID) {
                return result.streams.compactMap { stream in
                    Campaign.campaignID(fromStreamID: stream.streamID.rawValue).map {
                        CommandOutcome(campaignID: $0, version: stream.version, events: [], isDuplicate: true)
                    }
                }
            }
            throw CommandError(.bulkRejected, error.description, bulkRejection: error)
        }
        let request = AppendRequest(
            commandID: envelope.commandID,
            streams: booked.map {
                StreamAppend(streamID: StreamID($0.streamID), expectedVersion: .noStream, events: $0.events.map(encode))
            },
            metadata: EventMetadata(correlationID: envelope.correlationID, causationID: envelope.causationID, actor: envelope.actor),
            requestFingerprint: envelope.requestFingerprint
        )
        do {
            let result = try await store.append(request)
            let versions = Dictionary(uniqueKeysWithValues: result.streams.map { ($0.streamID.rawValue, $0.version) })
            return booked.map {
                CommandOutcome(
                    campaignID: $0.campaignID, version: versions[$0.streamID] ?? $0.events.count,
                    events: result.isDuplicate ? [] : $0.events, isDuplicate: result.isDuplicate
                )
            }
        } catch where error.code == .wrongExpectedVersion {
            throw CommandError(.conflict, "campaign \(error.streamID?.rawValue ?? "?") was created meanwhile; nothing was booked")
        } catch {
            throw CommandError.store(error)
        }
    }

    /// The campaign as its events leave it, and its version (0: no such campaign).
    public func load(_ campaignID: CampaignID) async throws(CommandError) -> (Campaign?, Int) {
        try await load(StreamID(Campaign.streamID(for: campaignID)))
    }

    /// The campaign as it stands now, and its version (0: no such campaign), for reads: the
    /// state this process last saw plus the events appended since (one read of the tail);
    /// for a campaign this process has not seen yet, its newest snapshot plus its tail.
    public func current(_ campaignID: CampaignID) async throws(CommandError) -> (Campaign?, Int) {
        let streamID = StreamID(Campaign.streamID(for: campaignID))
        guard let (cached, version) = states.get(campaignID) else {
            let (state, version) = try await load(streamID)
            if let state { states.put(state, version: version) }
            return (state, version)
        }
        let tail = try await CampaignHistoryReader(store: store).events(of: streamID, after: version)
        guard let last = tail.last else { return (cached, version) }
        var state: Campaign? = cached
        for entry in tail { Campaign.apply(entry.event, to: &state) }
        if let state { states.put(state, version: last.recorded.streamVersion) }
        return (state, last.recorded.streamVersion)
    }

    /// The campaign's owner (nil: no such campaign), from its first event, which names it
    /// for good: one row however long the history, so an owner check never replays it.
    public func owner(of campaignID: CampaignID) async throws(CommandError) -> OwnerID? {
        if let (cached, _) = states.get(campaignID) { return cached.ownerID }
        let first = try await CampaignHistoryReader(store: store).page(
            of: StreamID(Campaign.streamID(for: campaignID)), after: 0, limit: 1
        )
        var campaign: Campaign?
        for entry in first { Campaign.apply(entry.event, to: &campaign) }
        return campaign?.ownerID
    }

    /// The campaign from its newest snapshot and the events after it (the whole history when
    /// there is no usable snapshot); saves a newer snapshot when the tail was long.
    private func load(_ streamID: StreamID) async throws(CommandError) -> (Campaign?, Int) {
        var state: Campaign?
        var version = 0
        if let snapshots {
            do {
                if let kept = try await snapshots.snapshot(of: streamID),
                   let campaign = Campaign(snapshot: kept.state, format: kept.format), campaign.version == kept.version {
                    state = campaign
                    version = kept.version
                }
            } catch {
                // A snapshot is a cache: without it the history is replayed, as it always may be.
                logger.warning("Could not read a campaign snapshot", metadata: ["stream": "\(streamID)", "error": "\(error)"])
            }
        }
        let tail = try await CampaignHistoryReader(store: store).events(of: streamID, after: version)
        for event in tail { Campaign.apply(event.event, to: &state) }
        if let snapshots, let state, tail.count >= snapshotEvery {
            do {
                try await snapshots.saveSnapshot(StreamSnapshot(
                    streamID: streamID, version: state.version, format: Campaign.snapshotFormat, state: state.snapshot()
                ))
            } catch {
                logger.warning("Could not save a campaign snapshot", metadata: ["stream": "\(streamID)", "error": "\(error)"])
            }
        }
        return (state, tail.last?.recorded.streamVersion ?? version)
    }

    private func encode(_ event: CampaignEvent) -> NewEvent {
        let stored = EventCodec.encode(event)
        return NewEvent(eventID: eventIDs.next(), type: stored.type, schemaVersion: stored.schemaVersion, data: stored.data)
    }

    private func earlierResult(_ commandID: String) async throws(CommandError) -> AppendResult? {
        do {
            return try await store.appendResult(forCommand: commandID)
        } catch {
            throw CommandError.store(error)
        }
    }

    private func earlierOutcome(_ commandID: String, campaignID: CampaignID) async throws(CommandError) -> CommandOutcome? {
        guard let result = try await earlierResult(commandID) else { return nil }
        let version = result.streams.first { $0.streamID.rawValue == Campaign.streamID(for: campaignID) }?.version ?? 0
        return CommandOutcome(campaignID: campaignID, version: version, events: [], isDuplicate: true)
    }
}
