import Postgres
import RepriseDomain
import RepriseEventLog
import RepriseProjections
import RepriseScoring

/// The scores model in memory, for rebuilds: the same state as the tables, folded by the
/// same rules as `apply(_:in:)`.
public struct ScoresModel: Sendable {
    var clock = LogTime()
    var campaigns: [CampaignID: ScoringCampaign] = [:]
    var scores: [CampaignID: [PromotionScore]] = [:]
}

extension PromotionScoresProjection: BulkRebuildable {
    public func makeModel() -> ScoresModel { ScoresModel() }

    public func apply(_ event: SequencedEvent, to model: inout ScoresModel) throws {
        let step = try ScoresStep(event)
        var next = model.clock
        let ticked = step.advance(&next) && step.tick != nil
        guard let now = next.now else { return }
        if let (campaignID, campaignEvent) = step.campaign {
            let campaign = try step.evolve(model.campaigns[campaignID], campaignEvent, id: campaignID)
            model.clock = next
            model.campaigns[campaignID] = campaign
            model.scores[campaignID] = Self.scores(campaign, at: now)
        } else {
            model.clock = next
            guard ticked else { return }
            for (id, campaign) in model.campaigns where campaign.status == .active || model.scores[id] != nil {
                model.scores[id] = Self.scores(campaign, at: now)
            }
        }
    }

    private static func scores(_ campaign: ScoringCampaign, at now: Timestamp) -> [PromotionScore]? {
        let scores = campaign.scores(at: now)
        return scores.isEmpty ? nil : scores
    }

    public func write(_ model: ScoresModel, generation: Int, on connection: PostgresConnection) async throws {
        func name(_ table: String) -> String { Self.tables.first { $0.name == table }!.rawName(generation: generation) }
        if let now = model.clock.now {
            _ = try await connection.copyFrom(
                table: name("scoring_clock"), columns: ["singleton", "now_micros"], rows: [[PostgresCopyValue(true), PostgresCopyValue(now.microsecondsSinceEpoch)]]
            )
        }
        _ = try await connection.copyFrom(
            table: name("scoring_campaigns"), columns: ["campaign_id", "state"],
            rows: model.campaigns.lazy.map { id, campaign in
                [PostgresCopyValue(id.rawValue), PostgresCopyValue(String(decoding: campaign.canonicalJSON, as: UTF8.self))]
            }
        )
        _ = try await connection.copyFrom(
            table: name("promotion_scores"), columns: ["market", "surface", "track", "campaign_id", "subcampaign_id", "score_micros"],
            rows: model.scores.values.lazy.flatMap { $0 }.map { score in
                [
                    PostgresCopyValue(score.market), PostgresCopyValue(score.surface), PostgresCopyValue(score.track),
                    PostgresCopyValue(score.campaignID.rawValue), PostgresCopyValue(score.subcampaignID.rawValue),
                    PostgresCopyValue(score.scoreMicros),
                ]
            }
        )
    }
}
