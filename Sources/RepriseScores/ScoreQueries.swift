import Postgres
import RepriseDomain
import RepriseProjectionCore
import RepriseProjections
import RepriseScoring

/// Reads of the live scores model, for tools and tests that check what personalization is
/// served: the bucket must hold exactly these values once the publisher has caught up.
public enum ScoreQueries {
    /// The published score per bucket key (`<market>.<surface>.<track>`) of the live model,
    /// optionally only for one market and/or surface; empty before the projection first ran.
    public static func published(
        market: String? = nil, surface: String? = nil, on pool: PostgresConnectionPool
    ) async throws -> [String: PublishedScore] {
        try await ProjectionReader.read(PromotionScoresProjection(), on: pool) { model in
            let rows = try await model.connection.query("""
                SELECT \(promotionColumns) FROM \(model.table(PromotionScoresProjection.Table.scores))
                WHERE (\(market)::text IS NULL OR market = \(market)) AND (\(surface)::text IS NULL OR surface = \(surface))
                """)
            return try bestByKey(rows)
        } ?? [:]
    }

    /// The columns `bestByKey` reads, in its order.
    static let promotionColumns: PostgresQuery = "market, surface, track, campaign_id, subcampaign_id, score_micros"

    /// The best score per bucket key among rows of `promotion_scores` (`promotionColumns`).
    static func bestByKey(_ rows: PostgresRows) throws -> [String: PublishedScore] {
        let scores = try rows.map { row in
            PromotionScore(
                track: try row.decode(String.self, at: 2), market: try row.decode(String.self, at: 0),
                surface: try row.decode(String.self, at: 1), campaignID: try CampaignID(try row.decode(String.self, at: 3)),
                subcampaignID: try SubcampaignID(try row.decode(String.self, at: 4)), scoreMicros: try row.decode(Int.self, at: 5)
            )
        }
        return Dictionary(uniqueKeysWithValues: PublishedScore.best(of: scores).map { ($0.key, $0) })
    }
}
