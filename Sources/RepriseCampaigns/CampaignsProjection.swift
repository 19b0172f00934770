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
        let campaignID: CampaignID
        let event: CampaignEvent
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

    public func step(for event: SequencedEvent) throws -> Step? {
        guard let id = Campaign.campaignID(fromStreamID: event.event.streamID.rawValue) else { return nil }
        let decoded = try EventCodec.decode(type: event.event.type, schemaVersion: event.event.schemaVersion, data: event.event.data)
        return Step(campaignID: id, event: decoded, version: event.event.streamVersion)
    }

    public func selections(for step: Step) -> [RowSelection] {
        [.key(ProjectionKey(Self.table, step.campaignID.rawValue))]
    }

    public func apply(_ step: Step, to rows: inout ProjectionRows<Row>) throws {
        let key = ProjectionKey(Self.table, step.campaignID.rawValue)
        guard var row = try rows.row(key) else {
            // As `Campaign.evolve`: nothing exists until it is created.
            if case .campaignCreated(let created) = step.event {
                try rows.set(key, Row(ownerID: created.ownerID, name: created.name, status: .draft, version: step.version))
            }
            return
        }
        switch step.event {
        case .campaignActivated, .campaignResumed: row.status = .active
        case .campaignPaused: row.status = .paused
        case .campaignCancelled: row.status = .cancelled
        case .campaignEnded: row.status = .ended
        default: break
        }
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
