import Foundation
import Logging
import Postgres
import RepriseDomain
import RepriseEventLog
import RepriseProjections
import RepriseScoring

/// The promotion scores read model: per track × market × surface, how much a promotion
/// needs delivering (the formula is `ScoringCampaign.scores(at:)`, written out in
/// ARCHITECTURE.md).
///
/// Its state is a pure function of the log: each campaign's `ScoringCampaign` as JSON,
/// the log time (the latest `recordedAt` or clock tick seen), and the score rows, which a
/// campaign's own events and every clock tick recompute. `didCommit` hands the changed
/// keys to `ScorePublisher`, which keeps the NATS key-value bucket equal to the model.
public struct PromotionScoresProjection: Projection {
    public let name = "scores"
    public let poisonPolicy: PoisonPolicy
    let publisher: ScorePublisher?

    /// `publisher`: nil for rebuilds and tools that must not publish.
    public init(publisher: ScorePublisher?, poisonPolicy: PoisonPolicy = .skip) {
        self.publisher = publisher
        self.poisonPolicy = poisonPolicy
    }

    public var tables: [ProjectionTable] { Self.tables }

    static let tables: [ProjectionTable] = [
        ProjectionTable(name: "scoring_campaigns", columns: "campaign_id text PRIMARY KEY, state jsonb NOT NULL", orderBy: "campaign_id"),
        ProjectionTable(
            name: "scoring_clock",
            columns: "singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), now_micros bigint NOT NULL",
            orderBy: "singleton"
        ),
        ProjectionTable(
            name: "promotion_scores",
            columns: """
                market text NOT NULL, surface text NOT NULL, track text NOT NULL, campaign_id text NOT NULL,
                subcampaign_id text NOT NULL, score_micros integer NOT NULL CHECK (score_micros BETWEEN 0 AND 1000000),
                PRIMARY KEY (market, surface, track, campaign_id, subcampaign_id)
                """,
            orderBy: "market, surface, track, campaign_id, subcampaign_id",
            indexes: ["campaign_id"]
        ),
    ]

    public func apply(_ event: SequencedEvent, in context: ProjectionContext) async throws {
        let connection = context.connection
        let step = try ScoresStep(event)
        var clock = try await loadClock(context)
        let moved = step.advance(&clock)
        // A tick rescores every campaign whenever time moved, whether its `at` or its
        // `recordedAt` moved it: ticks are how the passing of time reaches the scores.
        let ticked = step.tick != nil && moved
        if moved, let now = clock.now {
            try await connection.query("""
                INSERT INTO \(context.table("scoring_clock")) (singleton, now_micros) VALUES (true, \(now.microsecondsSinceEpoch))
                ON CONFLICT (singleton) DO UPDATE SET now_micros = excluded.now_micros
                """)
        }
        guard let now = clock.now else { return }

        if let (campaignID, campaignEvent) = step.campaign {
            let campaign = try step.evolve(try await loadCampaign(campaignID, context), campaignEvent, id: campaignID)
            let state = String(decoding: campaign.canonicalJSON, as: UTF8.self)
            try await connection.query("""
                INSERT INTO \(context.table("scoring_campaigns")) (campaign_id, state) VALUES (\(campaignID.rawValue), \(state)::jsonb)
                ON CONFLICT (campaign_id) DO UPDATE SET state = excluded.state
                """)
            try await rescore(campaign, at: now, context)
        } else if ticked {
            // Time moved: every campaign that is scored now, or could be, may change.
            let rows = try await connection.query("""
                SELECT state::text FROM \(context.table("scoring_campaigns"))
                WHERE state->>'status' = 'active'
                   OR campaign_id IN (SELECT campaign_id FROM \(context.table("promotion_scores")))
                ORDER BY campaign_id
                """)
            for row in rows {
                let campaign = try ScoringCampaign(canonicalJSON: Array(try row.decode(String.self, at: 0).utf8))
                try await rescore(campaign, at: now, context)
            }
        }
    }

    public func didCommit(changedKeys: Set<String>?, generation: Int, on pool: PostgresConnectionPool) async throws {
        guard let publisher else { return }
        try await publisher.publish(changedKeys.map { Set($0.compactMap(ScoreKey.init(marked:))) }, generation: generation, on: pool)
    }

    // MARK: Rows

    private func loadClock(_ context: ProjectionContext) async throws -> LogTime {
        let rows = try await context.connection.query("SELECT now_micros FROM \(context.table("scoring_clock"))")
        guard let micros = try rows.first?.decode(Int64.self, at: 0) else { return LogTime() }
        return LogTime(now: try Timestamp(microsecondsSinceEpoch: micros))
    }

    private func loadCampaign(_ id: CampaignID, _ context: ProjectionContext) async throws -> ScoringCampaign? {
        let rows = try await context.connection.query(
            "SELECT state::text FROM \(context.table("scoring_campaigns")) WHERE campaign_id = \(id.rawValue)"
        )
        guard let text = try rows.first?.decode(String.self, at: 0) else { return nil }
        return try ScoringCampaign(canonicalJSON: Array(text.utf8))
    }

    /// Replaces a campaign's score rows with its scores at `now`, and marks every key
    /// whose rows changed.
    private func rescore(_ campaign: ScoringCampaign, at now: Timestamp, _ context: ProjectionContext) async throws {
        let table = context.table("promotion_scores")
        let fresh = Set(campaign.scores(at: now))
        let rows = try await context.connection.query(
            "SELECT market, surface, track, subcampaign_id, score_micros FROM \(table) WHERE campaign_id = \(campaign.campaignID.rawValue)"
        )
        var stored = Set<PromotionScore>()
        for row in rows {
            stored.insert(PromotionScore(
                track: try row.decode(String.self, at: 2), market: try row.decode(String.self, at: 0),
                surface: try row.decode(String.self, at: 1), campaignID: campaign.campaignID,
                subcampaignID: try SubcampaignID(try row.decode(String.self, at: 3)), scoreMicros: try row.decode(Int.self, at: 4)
            ))
        }
        guard stored != fresh else { return }
        for score in stored.symmetricDifference(fresh) {
            context.markChanged(ScoreKey(score).marked)
        }
        try await context.connection.query("DELETE FROM \(table) WHERE campaign_id = \(campaign.campaignID.rawValue)")
        guard !fresh.isEmpty else { return }
        let sorted = fresh.sorted()
        try await context.connection.query("""
            INSERT INTO \(table) (market, surface, track, campaign_id, subcampaign_id, score_micros)
            SELECT m, s, t, \(campaign.campaignID.rawValue), sub, score
            FROM unnest(\(sorted.map(\.market))::text[], \(sorted.map(\.surface))::text[], \(sorted.map(\.track))::text[],
                        \(sorted.map(\.subcampaignID.rawValue))::text[], \(sorted.map(\.scoreMicros))::int[])
                AS r(m, s, t, sub, score)
            """)
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

    init(_ score: PromotionScore) {
        self.init(market: score.market, surface: score.surface, track: score.track)
    }

    /// How the projection marks a key as changed (the runtime carries plain strings).
    /// Unit separators cannot occur in catalog values or identifiers.
    var marked: String { market + "\u{1F}" + surface + "\u{1F}" + track }

    init?(marked: String) {
        let parts = marked.split(separator: "\u{1F}", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        self.init(market: String(parts[0]), surface: String(parts[1]), track: String(parts[2]))
    }

    /// The key in the NATS bucket: `<market>.<surface>.<track>`, each token escaped.
    public var bucketKey: String { PublishedScore.key(market: market, surface: surface, track: track) }
}

/// What one event means for the scores, decoded before anything changes, so that a
/// poison event fails before either apply path has touched its model.
struct ScoresStep {
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
    func evolve(_ stored: ScoringCampaign?, _ event: CampaignEvent, id: CampaignID) throws -> ScoringCampaign {
        if var campaign = stored {
            campaign.apply(event)
            return campaign
        }
        guard let created = ScoringCampaign(event) else {
            throw ScoresProjectionError(code: .campaignNeverCreated, message: "\(event.type) for campaign \(id.rawValue), which was never created")
        }
        return created
    }
}

/// An event the scores projection cannot apply.
public struct ScoresProjectionError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let campaignNeverCreated = Code(rawValue: "campaign_never_created")
    }

    public let code: Code
    public let message: String
    public var description: String { "\(code): \(message)" }
}
