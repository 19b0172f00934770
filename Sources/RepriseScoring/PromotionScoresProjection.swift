import RepriseDomain
import RepriseEventLog
import RepriseProjectionCore

/// The promotion scores read model as a pure fold: per track × market × surface, how much
/// a promotion needs delivering (the formula is `ScoringCampaign.scores(at:)`, written out
/// in ARCHITECTURE.md).
///
/// Its state: each campaign's `ScoringCampaign`, the log time (the latest `recordedAt` or
/// clock tick seen), and each campaign's score rows, which the campaign's own events and
/// every clock tick recompute.
public struct PromotionScoresProjection: Projection {
    public let name = "scores"
    public let poisonPolicy: PoisonPolicy

    public init(poisonPolicy: PoisonPolicy = .skip) {
        self.poisonPolicy = poisonPolicy
    }

    public enum Row: Equatable, Sendable {
        case clock(LogTime)
        case campaign(ScoringCampaign)
        /// A campaign's scores, sorted.
        case scores([PromotionScore])
    }

    public enum Table {
        public static let clock = "scoring_clock"
        public static let campaigns = "scoring_campaigns"
        public static let scores = "promotion_scores"
    }

    static let clockKey = ProjectionKey(Table.clock, "now")

    public var tables: [ProjectionTable] { Self.tables }

    static let tables: [ProjectionTable] = [
        ProjectionTable(name: Table.clock, keyColumn: "clock", columns: [ProjectionColumn("now_micros", .bigint)]),
        ProjectionTable(
            name: Table.campaigns, keyColumn: "campaign_id",
            // `ticking`: a clock tick rescores the campaign (it is active).
            columns: [ProjectionColumn("state", .jsonb), ProjectionColumn("ticking", .boolean)],
            indexes: [["ticking"]]
        ),
        ProjectionTable(
            name: Table.scores, keyColumn: "campaign_id",
            columns: [
                ProjectionColumn("market", .text), ProjectionColumn("surface", .text), ProjectionColumn("track", .text),
                ProjectionColumn("subcampaign_id", .text), ProjectionColumn("score_micros", .integer),
            ],
            primaryKey: ["market", "surface", "track", "campaign_id", "subcampaign_id"],
            indexes: [["campaign_id"]]
        ),
    ]

    // MARK: The fold

    public func step(for event: SequencedEvent) throws -> ScoresStep? {
        // Every event moves the log time, so none is ignored.
        try ScoresStep(event)
    }

    public func selections(for step: ScoresStep) -> [RowSelection] {
        var selections: [RowSelection] = [.key(Self.clockKey)]
        if let (campaignID, _) = step.campaign {
            selections.append(.key(ProjectionKey(Table.campaigns, campaignID.rawValue)))
            selections.append(.key(ProjectionKey(Table.scores, campaignID.rawValue)))
        }
        if step.tick != nil {
            selections.append(.flagged(table: Table.campaigns, column: "ticking", companions: [Table.scores]))
        }
        return selections
    }

    public func apply(_ step: ScoresStep, to rows: inout ProjectionRows<Row>) throws {
        var clock = LogTime()
        if case .clock(let stored)? = try rows.row(Self.clockKey) { clock = stored }
        let moved = step.advance(&clock)
        // A tick rescores every campaign whenever time moved, whether its `at` or its
        // `recordedAt` moved it: ticks are how the passing of time reaches the scores.
        let ticked = step.tick != nil && moved
        if moved { try rows.set(Self.clockKey, .clock(clock)) }
        guard let now = clock.now else { return }

        if let (campaignID, campaignEvent) = step.campaign {
            let key = ProjectionKey(Table.campaigns, campaignID.rawValue)
            var stored: ScoringCampaign?
            if case .campaign(let campaign)? = try rows.row(key) { stored = campaign }
            let campaign = try step.evolve(stored, campaignEvent, id: campaignID)
            try rows.set(key, .campaign(campaign))
            try rescore(campaign, at: now, &rows)
        } else if ticked {
            for key in rows.keys(in: Table.campaigns) {
                guard case .campaign(let campaign)? = try rows.row(key), campaign.status == .active else { continue }
                try rescore(campaign, at: now, &rows)
            }
        }
    }

    /// Replaces a campaign's scores with its scores at `now`.
    private func rescore(_ campaign: ScoringCampaign, at now: Timestamp, _ rows: inout ProjectionRows<Row>) throws {
        let key = ProjectionKey(Table.scores, campaign.campaignID.rawValue)
        let fresh = campaign.scores(at: now).sorted()
        var stored: [PromotionScore] = []
        if case .scores(let scores)? = try rows.row(key) { stored = scores }
        guard stored != fresh else { return }
        try rows.set(key, fresh.isEmpty ? nil : .scores(fresh))
    }

    /// The score keys whose best score may have changed (`ScoreKey.marked`): every track ×
    /// market × surface that a changed campaign's scores had before or have now.
    public func publications(of changes: [ProjectionKey: RowChange<Row>]) -> Set<String> {
        var keys = Set<String>()
        for (key, change) in changes where key.table == Table.scores {
            var before = Set<PromotionScore>(), after = Set<PromotionScore>()
            if case .scores(let scores)? = change.before { before = Set(scores) }
            if case .scores(let scores)? = change.after { after = Set(scores) }
            for score in before.symmetricDifference(after) {
                keys.insert(ScoreKey(market: score.market, surface: score.surface, track: score.track).marked)
            }
        }
        return keys
    }

    // MARK: Rows as table rows

    public func encode(_ row: Row, key: ProjectionKey) -> [[String]] {
        switch row {
        case .clock(let clock):
            return clock.now.map { [[String($0.microsecondsSinceEpoch)]] } ?? []
        case .campaign(let campaign):
            return [[String(decoding: campaign.canonicalJSON, as: UTF8.self), campaign.status == .active ? "true" : "false"]]
        case .scores(let scores):
            return scores.map { [$0.market, $0.surface, $0.track, $0.subcampaignID.rawValue, String($0.scoreMicros)] }
        }
    }

    public func decode(_ rows: [[String]], key: ProjectionKey) throws -> Row {
        switch key.table {
        case Table.clock:
            guard let text = rows.first?.first, let micros = Int64(text) else { throw ScoringError.unreadableRow(key.description) }
            return .clock(LogTime(now: try Timestamp(microsecondsSinceEpoch: micros)))
        case Table.campaigns:
            guard let state = rows.first?.first else { throw ScoringError.unreadableRow(key.description) }
            return .campaign(try ScoringCampaign(canonicalJSON: Array(state.utf8)))
        default:
            return .scores(try rows.map { values in
                guard values.count == 5, let micros = Int(values[4]) else { throw ScoringError.unreadableRow(key.description) }
                return PromotionScore(
                    track: values[2], market: values[0], surface: values[1], campaignID: try CampaignID(key.id),
                    subcampaignID: try SubcampaignID(values[3]), scoreMicros: micros
                )
            }.sorted())
        }
    }
}

/// A published score's identity: track × market × surface.
public struct ScoreKey: Hashable, Sendable {
    public let market: String
    public let surface: String
    public let track: String

    public init(market: String, surface: String, track: String) {
        self.market = market
        self.surface = surface
        self.track = track
    }

    /// How the projection names a key among its publications (they are plain strings).
    /// Unit separators cannot occur in catalog values or identifiers.
    public var marked: String { market + "\u{1F}" + surface + "\u{1F}" + track }

    public init?(marked: String) {
        let parts = marked.split(separator: "\u{1F}", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        self.init(market: String(parts[0]), surface: String(parts[1]), track: String(parts[2]))
    }

    /// The key in the NATS bucket: `<market>.<surface>.<track>`, each token escaped.
    public var bucketKey: String { PublishedScore.key(market: market, surface: surface, track: track) }
}

/// What one event means for the scores, decoded before anything changes.
public struct ScoresStep: Sendable {
    let recorded: Timestamp
    let tick: ClockTicked?
    let campaign: (CampaignID, CampaignEvent)?

    init(_ event: SequencedEvent) throws {
        recorded = try Timestamp(microsecondsSinceEpoch: event.event.recordedAtMicroseconds)
        tick = event.event.type == ClockTicked.eventType
            ? try ClockTicked.decode(type: event.event.type, schemaVersion: event.event.schemaVersion, data: event.event.data)
            : nil
        if let id = Campaign.campaignID(fromStreamID: event.event.streamID.rawValue) {
            campaign = (id, try EventCodec.decode(type: event.event.type, schemaVersion: event.event.schemaVersion, data: event.event.data))
        } else {
            campaign = nil
        }
    }

    /// Moves `clock` to this event's moments; true when it moved.
    func advance(_ clock: inout LogTime) -> Bool {
        let recordedMoved = clock.advance(to: recorded)
        let tickMoved = tick.map { clock.advance(to: $0.at) } ?? false
        return recordedMoved || tickMoved
    }

    /// The campaign's scoring state after `event`.
    func evolve(_ stored: ScoringCampaign?, _ event: CampaignEvent, id: CampaignID) throws(ScoringError) -> ScoringCampaign {
        if var campaign = stored {
            campaign.apply(event)
            return campaign
        }
        guard let created = ScoringCampaign(event) else { throw ScoringError.campaignNeverCreated(id.rawValue, event.type) }
        return created
    }
}
