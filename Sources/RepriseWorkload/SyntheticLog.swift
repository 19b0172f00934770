import Foundation
import RepriseDomain
import RepriseEventLog

/// A seeded, realistic campaign log, every event decided by the real domain.
///
/// The mix is what the platform sees in production, weighted towards the common case:
/// bookings (single campaigns and bulk buys of several, in one atomic append, each
/// preceded by the assignment of any track it promotes that its owner does not hold yet,
/// as an admin would send it; flights start at the booking), delivery
/// reports (most events), budget and flight changes, pauses and resumes, and a clock tick
/// each simulated minute. Time only moves forward. The same seed gives the same appends,
/// so benchmarks and property tests are repeatable.
public struct SyntheticLog {
    /// One append: the events of one command (several streams for a bulk buy), and the
    /// moment it is recorded at.
    public struct Append: Sendable {
        public let request: AppendRequest
        public let recordedAt: Timestamp
    }

    private var random: SeededRandom
    private var campaigns: [CampaignID: Campaign] = [:]
    /// Created campaigns in creation order: the generator picks from these, never from a
    /// hash-ordered collection.
    private var ids: [CampaignID] = []
    /// The track catalog as the log has it so far.
    private var trackHolders: [TrackID: OwnerID] = [:]
    /// Appends decided but not yet handed out: a booking waits behind its tracks' assignments.
    private var pending: [Append] = []
    private var now: Timestamp
    private var nextTick: Int64
    private var nextCampaign = 0
    private var nextReport = 0
    private var nextEvent: UInt64 = 0
    private var nextCommand = 0
    private let seed: UInt64
    private let owners: Int
    private let markets: [Market]
    private let surfaces: [Surface]
    private let segments: [Segment]

    private let tickMicroseconds: Int64

    private let maxStepMicroseconds: UInt64

    /// `start`: the simulated moment of the first append. Each append moves time on by up
    /// to `maxStepMilliseconds` (half that on average: 2,500 ms is a quiet platform, 20 ms one
    /// taking about 100 commands a second), and a clock tick is appended every
    /// `tickMinutes` simulated minutes.
    public init(
        seed: UInt64, owners: Int = 50, tickMinutes: Int = 1, maxStepMilliseconds: Int = 5_000, start: Timestamp = Timestamp.workloadStart
    ) {
        self.seed = seed
        self.maxStepMicroseconds = UInt64(max(1, maxStepMilliseconds)) * 1_000
        self.tickMicroseconds = Int64(max(1, tickMinutes)) * 60_000_000
        self.random = SeededRandom(seed: seed)
        self.owners = owners
        self.now = start
        self.nextTick = start.microsecondsSinceEpoch
        self.markets = Catalog.markets.sorted { $0.rawValue < $1.rawValue }
        self.surfaces = Catalog.surfaces.sorted { $0.rawValue < $1.rawValue }
        self.segments = Catalog.segments.sorted { $0.rawValue < $1.rawValue }
    }

    /// The next append. Never fails: a command the domain refuses is simply not appended,
    /// and another is drawn.
    public mutating func next() -> Append {
        if !pending.isEmpty { return pending.removeFirst() }
        while true {
            now = Timestamp.unchecked(now.microsecondsSinceEpoch + Int64(random.below(maxStepMicroseconds)) + 1)
            if now.microsecondsSinceEpoch >= nextTick {
                let tick = ClockTicked(minuteContaining: now)
                nextTick = tick.at.microsecondsSinceEpoch + tickMicroseconds
                let encoded = ClockTicked.encode(tick)
                return append(commandID: tick.commandID, streams: [(ClockTicked.streamID, [newEvent(encoded)])])
            }
            if let append = draw() { return append }
        }
    }

    private mutating func draw() -> Append? {
        let roll = random.below(100)
        if ids.count < 8 || roll < 4 { return book(count: 1) }
        if roll < 5 { return book(count: 2 + Int(random.below(4))) }
        let id = ids[Int(random.below(UInt64(ids.count)))]
        let command: CampaignCommand
        switch roll {
        case 5..<10: command = .changeBudget(ChangeBudget(campaignID: id, budget: money(5_000_000 + Int64(random.below(20_000_000)))))
        case 10..<12:
            guard let flight = campaigns[id]?.flight else { return nil }
            command = .changeFlight(ChangeFlight(campaignID: id, flight: Flight(
                start: flight.start, end: Timestamp.unchecked(flight.end.microsecondsSinceEpoch + 86_400_000_000)
            )))
        case 12..<15: command = .pause(id)
        case 15..<19: command = .resume(id)
        default: command = .reportDelivery(ReportDelivery(campaignID: id, report: report(for: id)))
        }
        return decideAndAppend(command, for: id)
    }

    private mutating func decideAndAppend(_ command: CampaignCommand, for id: CampaignID) -> Append? {
        guard let state = campaigns[id], let decided = try? Campaign.decide(command, state: state, context: context),
              !decided.isEmpty
        else { return nil }
        var evolved: Campaign? = state
        for event in decided { Campaign.apply(event, to: &evolved) }
        campaigns[id] = evolved
        return append(commandID: commandID(), streams: [(Campaign.streamID(for: id), decided.map { newEvent(EventCodec.encode($0)) })])
    }

    /// Books `count` campaigns at once (a bulk buy when more than one), each with one to
    /// three subcampaigns, most of them activated. Each owner promotes tracks of its own
    /// (`trk-<owner>-<n>-<sub>`); one it does not hold yet is assigned first.
    private mutating func book(count: Int) -> Append? {
        var items: [CreateCampaignWithSubcampaigns] = []
        for _ in 0..<count {
            let index = nextCampaign
            nextCampaign += 1
            let id = CampaignID.unchecked("syn-\(seed)-\(index)")
            let owner = OwnerID.unchecked("label-\(random.below(UInt64(owners)))")
            let start = now
            let end = Timestamp.unchecked(start.microsecondsSinceEpoch + Int64(1 + random.below(14)) * 86_400_000_000)
            let subcampaigns = (0..<(1 + Int(random.below(3)))).map { sub in
                NewSubcampaign(
                    id: SubcampaignID.unchecked("sub-\(sub)"),
                    targeting: Targeting(
                        markets: pick(markets, count: 1 + Int(random.below(3))), surfaces: pick(surfaces, count: 1 + Int(random.below(2))),
                        segments: pick(segments, count: 1 + Int(random.below(2)))
                    ),
                    pricing: random.below(3) == 0 ? .cpc(20 + Int64(random.below(200))) : .cpm(200 + Int64(random.below(800))),
                    shareBounds: .unbounded,
                    promotedItem: .track(TrackID.unchecked("trk-\(owner)-\(index % 20)-\(sub)"))
                )
            }
            items.append(CreateCampaignWithSubcampaigns(
                campaign: CreateCampaign(
                    campaignID: id, ownerID: owner, name: "Synthetic \(index)",
                    objective: .reach, budget: money(1_000_000 + Int64(random.below(50_000_000))),
                    flight: Flight(start: start, end: end), pacingMode: .even
                ),
                subcampaigns: subcampaigns, activate: random.below(10) < 9
            ))
        }
        var assignments: [Append] = []
        for item in items {
            for track in item.promotedTracks.sorted() where trackHolders[track] != item.campaign.ownerID {
                let events = TrackAssigned.decide(assign: track, to: item.campaign.ownerID, holder: trackHolders[track])
                trackHolders[track] = item.campaign.ownerID
                assignments.append(append(
                    commandID: commandID(), streams: [(TrackAssigned.streamID(for: track), events.map { newEvent(TrackAssigned.encode($0)) })]
                ))
            }
        }
        var context = context
        context.trackHolders = trackHolders
        guard let booked = try? BulkBuy.decide(items, existing: { campaigns[$0] != nil }, context: context) else {
            return assignments.first.map { first in
                pending += assignments.dropFirst()
                return first
            }
        }
        var streams: [(String, [NewEvent])] = []
        for campaign in booked {
            campaigns[campaign.campaignID] = Campaign.replay(campaign.events)
            ids.append(campaign.campaignID)
            streams.append((campaign.streamID, campaign.events.map { newEvent(EventCodec.encode($0)) }))
        }
        let booking = append(commandID: commandID(), streams: streams)
        guard let first = assignments.first else { return booking }
        pending += assignments.dropFirst() + [booking]
        return first
    }

    private mutating func report(for id: CampaignID) -> DeliveryReport {
        nextReport += 1
        let subcampaigns = campaigns[id]?.subcampaigns ?? []
        let sub = subcampaigns.isEmpty ? SubcampaignID.unchecked("sub-0") : subcampaigns[Int(random.below(UInt64(subcampaigns.count)))].id
        let impressions = 100 + Int64(random.below(10_000))
        return DeliveryReport(
            reportID: ReportID.unchecked("r-\(nextReport)"), subcampaignID: sub,
            from: Timestamp.unchecked(now.microsecondsSinceEpoch - 3_600_000_000), to: now,
            impressions: impressions, reachEstimate: impressions * 8 / 10, clicks: impressions / 100, conversions: impressions / 1_000,
            spend: money(impressions * 45 / 100)
        )
    }

    // MARK: Plumbing

    private var context: CommandContext { CommandContext(issuedAt: now, actor: "synthetic") }

    private func money(_ minor: Int64) -> Money { Money(amountMinor: minor, currency: Currency.unchecked("EUR")) }

    private mutating func pick<T>(_ items: [T], count: Int) -> [T] {
        var chosen: [T] = []
        var offset = Int(random.below(UInt64(items.count)))
        for _ in 0..<min(count, items.count) {
            chosen.append(items[offset % items.count])
            offset += 1 + Int(random.below(3))
        }
        return chosen
    }

    private mutating func commandID() -> String {
        nextCommand += 1
        return "syn-\(seed)-cmd-\(nextCommand)"
    }

    private mutating func newEvent(_ encoded: (type: String, schemaVersion: Int, data: [UInt8])) -> NewEvent {
        nextEvent += 1
        return NewEvent(eventID: Self.eventID(seed: seed, index: nextEvent), type: encoded.type, schemaVersion: encoded.schemaVersion, data: encoded.data)
    }

    private func append(commandID: String, streams: [(String, [NewEvent])]) -> Append {
        Append(
            request: AppendRequest(
                commandID: commandID,
                streams: streams.map { StreamAppend(streamID: StreamID($0.0), expectedVersion: .any, events: $0.1) },
                metadata: EventMetadata(correlationID: Self.eventID(seed: seed ^ 0xC0FFEE, index: nextEvent), actor: "synthetic")
            ),
            recordedAt: now
        )
    }

    /// A version-4-shaped UUID from the seed and a counter: unique and repeatable.
    static func eventID(seed: UInt64, index: UInt64) -> UUID {
        var mixer = SeededRandom(seed: seed &+ index &* 0x9E37_79B9_7F4A_7C15)
        let high = mixer.next(), low = mixer.next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: high >> (8 * index))
            bytes[8 + index] = UInt8(truncatingIfNeeded: low >> (8 * index))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
    }
}

// The generator builds its values from valid parts; a refusal here is a bug in it.
extension Timestamp {
    /// 2026-01-05T00:00:00Z, a Monday: where synthetic logs start unless told otherwise.
    public static let workloadStart = Timestamp.unchecked(1_767_571_200_000_000)

    fileprivate static func unchecked(_ microseconds: Int64) -> Timestamp {
        try! Timestamp(microsecondsSinceEpoch: microseconds)
    }
}

extension Identifier {
    fileprivate static func unchecked(_ text: String) -> Self { try! Self(text) }
}

extension Currency {
    fileprivate static func unchecked(_ code: String) -> Currency { Currency(code) }
}
