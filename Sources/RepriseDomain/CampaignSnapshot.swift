import Foundation

/// A campaign's whole state as bytes, for snapshots: what `Campaign.replay` of its history
/// would give, report digests included, so that a state read costs a snapshot and the events
/// after it.
///
/// `Campaign` itself stays `Encodable` only: the only way to a state is to fold events, and
/// this format is the one exception, versioned (`snapshotFormat`) and checked on the way in.
/// A snapshot in another format, or one that does not decode or contradicts itself, gives
/// nil, and the caller replays the stream instead.
extension Campaign {
    /// Raised whenever the stored shape changes; snapshots of other formats are ignored.
    public static let snapshotFormat = 1

    public func snapshot() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(SnapshotState(self))) ?? Data())
    }

    /// The state in `bytes`, or nil when it cannot be trusted to be one.
    public init?(snapshot bytes: [UInt8], format: Int) {
        guard format == Self.snapshotFormat,
              let stored = try? JSONDecoder().decode(SnapshotState.self, from: Data(bytes)),
              stored.version >= 1, stored.budget.currency == stored.spent.currency
        else { return nil }
        self.init(stored)
    }

    private init(_ stored: SnapshotState) {
        id = stored.id
        ownerID = stored.ownerID
        name = stored.name
        objective = stored.objective
        budget = stored.budget
        flight = stored.flight
        pacingMode = stored.pacingMode
        status = stored.status
        endedAt = stored.endedAt
        subcampaigns = stored.subcampaigns
        spent = stored.spent
        deliveryReportDigests = stored.deliveryReportDigests
        version = stored.version
    }
}

/// Every stored property of a `Campaign`, in the snapshot's format 1.
private struct SnapshotState: Codable {
    var id: CampaignID
    var ownerID: OwnerID
    var name: String
    var objective: Objective
    var budget: Money
    var flight: Flight
    var pacingMode: PacingMode
    var status: CampaignStatus
    var endedAt: Timestamp?
    var subcampaigns: [Subcampaign]
    var spent: Money
    var deliveryReportDigests: [ReportID: String]
    var version: Int

    init(_ campaign: Campaign) {
        id = campaign.id
        ownerID = campaign.ownerID
        name = campaign.name
        objective = campaign.objective
        budget = campaign.budget
        flight = campaign.flight
        pacingMode = campaign.pacingMode
        status = campaign.status
        endedAt = campaign.endedAt
        subcampaigns = campaign.subcampaigns
        spent = campaign.spent
        deliveryReportDigests = campaign.deliveryReportDigests
        version = campaign.version
    }
}
