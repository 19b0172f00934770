import Postgres
import RepriseCampaigns
import RepriseDomain
import RepriseProjectionCore
import RepriseProjections

extension ProjectedCampaignList: OpenCampaignCounter {
    /// Counted in the `campaigns` projection's live generation (index `owner_id, campaign_id`);
    /// before the projection first ran, no owner has any.
    public func openCampaigns(of owners: Set<OwnerID>) async throws(CommandError) -> [OwnerID: Int] {
        let open = [CampaignStatus.draft, .active, .paused].map(\.rawValue)
        do {
            let rows = try await ProjectionReader.read(CampaignsProjection(), on: pool) { model in
                try await model.connection.query("""
                    SELECT owner_id, count(*) FROM \(model.table(CampaignsProjection.table))
                    WHERE owner_id = ANY(\(owners.map(\.rawValue).sorted())::text[]) AND status = ANY(\(open)::text[])
                    GROUP BY owner_id
                    """)
            }
            var counts: [OwnerID: Int] = [:]
            for row in rows.map(Array.init) ?? [] {
                counts[try OwnerID(try row.decode(String.self, at: 0))] = try row.decode(Int.self, at: 1)
            }
            return counts
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError.unavailable("counting open campaigns failed: \(error)")
        }
    }
}
