import RepriseDomain
import RepriseEventLog
import RepriseProjectionCore

/// Campaigns by owner and status: the campaign list as a projection.
///
/// One row per campaign with what a list shows: owner, name, status and the version (the
/// stream version of its latest event). `GET /campaigns` reads it through the projection
/// reader, so no process holds every campaign in memory.
public struct CampaignsProjection: Projection {
    public let name = "campaigns"
    public let poisonPolicy: PoisonPolicy

    public init(poisonPolicy: PoisonPolicy = .skip) {
        self.poisonPolicy = poisonPolicy
    }

    public static let table = "campaign_list"
    public static let columns = ["owner_id", "name", "status", "version"]

    public struct Row: Equatable, Sendable {
        public var ownerID: OwnerID
        public var name: String
        public var status: CampaignStatus
        public var version: Int
    }

    public struct Step: Sendable {
        enum Change: Sendable {
            case created(CampaignCreated)
            case status(CampaignStatus)
            /// Any other event: only the version moves.
            case other
        }

        let campaignID: CampaignID
        let change: Change
        let version: Int
    }

    public var tables: [ProjectionTable] {
        [ProjectionTable(
            name: Self.table, keyColumn: "campaign_id",
            columns: [
                ProjectionColumn("owner_id", .text), ProjectionColumn("name", .text),
                ProjectionColumn("status", .text), ProjectionColumn("version", .integer),
            ],
            indexes: [["owner_id", "campaign_id"], ["status", "campaign_id"]]
        )]
    }

    /// Only a creation's data is read: every other event means a status or nothing but a
    /// new version, which its type says. Delivery reports, most of the log, are not decoded.
    public func step(for event: SequencedEvent) throws -> Step? {
        guard let id = Campaign.campaignID(fromStreamID: event.event.streamID.rawValue) else { return nil }
        let change: Step.Change
        switch event.event.type {
        case CampaignCreated.eventType:
            let decoded = try EventCodec.decode(type: event.event.type, schemaVersion: event.event.schemaVersion, data: event.event.data)
            guard case .campaignCreated(let created) = decoded else { return nil }
            change = .created(created)
        case CampaignActivated.eventType, CampaignResumed.eventType: change = .status(.active)
        case CampaignPaused.eventType: change = .status(.paused)
        case CampaignCancelled.eventType: change = .status(.cancelled)
        case CampaignEnded.eventType: change = .status(.ended)
        default: change = .other
        }
        return Step(campaignID: id, change: change, version: event.event.streamVersion)
    }

    public func selections(for step: Step) -> [RowSelection] {
        [.key(ProjectionKey(Self.table, step.campaignID.rawValue))]
    }

    public func apply(_ step: Step, to rows: inout ProjectionRows<Row>) throws {
        let key = ProjectionKey(Self.table, step.campaignID.rawValue)
        guard var row = try rows.row(key) else {
            // As `Campaign.evolve`: nothing exists until it is created.
            if case .created(let created) = step.change {
                try rows.set(key, Row(ownerID: created.ownerID, name: created.name, status: .draft, version: step.version))
            }
            return
        }
        if case .status(let status) = step.change { row.status = status }
        row.version = step.version
        try rows.set(key, row)
    }

    public func encode(_ row: Row, key: ProjectionKey) -> [[String]] {
        [[row.ownerID.rawValue, row.name, row.status.rawValue, String(row.version)]]
    }

    public func decode(_ rows: [[String]], key: ProjectionKey) throws -> Row {
        guard let values = rows.first, values.count == 4, let status = CampaignStatus(rawValue: values[2]), let version = Int(values[3])
        else { throw CampaignsProjectionError(key: key) }
        return Row(ownerID: try OwnerID(values[0]), name: values[1], status: status, version: version)
    }
}

/// A stored campaign row that does not read back.
public struct CampaignsProjectionError: Error, Sendable, CustomStringConvertible {
    public let key: ProjectionKey
    public var description: String { "unreadable_row: \(key) does not decode" }
}
