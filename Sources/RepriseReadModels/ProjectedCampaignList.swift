import Postgres
import RepriseCampaigns
import RepriseDomain
import RepriseProjectionCore
import RepriseProjections

/// The campaign list read from the `campaigns` projection's live generation.
///
/// Ids are compared byte by byte (`COLLATE "C"`), the order `CampaignID` sorts in, so a
/// page's `after` works whatever the database's collation.
public struct ProjectedCampaignList: CampaignList {
    let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    public func page(
        owners: Set<OwnerID>?, status: CampaignStatus?, after: CampaignID?, limit: Int
    ) async throws(CommandError) -> CampaignPage {
        do {
            let ownerList = owners.map { $0.map(\.rawValue).sorted() } ?? []
            let rows = try await ProjectionReader.read(CampaignsProjection(), on: pool) { model in
                let table = model.table(CampaignsProjection.table)
                return try await model.connection.query("""
                    SELECT campaign_id, owner_id, name, status, version FROM \(table)
                    WHERE (\(owners == nil) OR owner_id = ANY(\(ownerList)::text[]))
                      AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                      AND (\(after?.rawValue)::text IS NULL OR campaign_id COLLATE "C" > \(after?.rawValue))
                    ORDER BY campaign_id COLLATE "C" LIMIT \(limit + 1)
                    """)
            }
            let items = try (rows.map(Array.init) ?? []).map { row in
                CampaignSummary(
                    campaignId: try CampaignID(try row.decode(String.self, at: 0)), ownerId: try OwnerID(try row.decode(String.self, at: 1)),
                    name: try row.decode(String.self, at: 2), status: try Self.status(try row.decode(String.self, at: 3)),
                    version: try row.decode(Int.self, at: 4)
                )
            }
            let page = Array(items.prefix(limit))
            return CampaignPage(items: page, nextAfter: items.count > limit ? page.last?.campaignId : nil)
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError.unavailable("reading the campaign list failed: \(error)")
        }
    }

    private static func status(_ text: String) throws(CommandError) -> CampaignStatus {
        guard let status = CampaignStatus(rawValue: text) else { throw CommandError.unavailable("unknown status '\(text)' in the campaign list") }
        return status
    }
}
