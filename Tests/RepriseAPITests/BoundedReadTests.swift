import Foundation
import HTTPTypes
import Postgres
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog
import RepriseEventStore
import Synchronization
import Testing

/// Reads that stay small however long a campaign's history grows: owner checks read one
/// event, the campaign is its last state plus the tail, history and reports come in pages.
@Suite struct BoundedReadTests {
    @Test func anOwnerCheckReadsOneEventAndNeverReplaysAnotherOwnersCampaign() async throws {
        let reads = ReadRecorder()
        try await APIHarness.with(storeOfServer: { reads.inFront(of: $0) }) { api in
            try await api.activeCampaign("cmp-1")
            for index in 0..<20 {
                try await api.send(.post, "/campaigns/cmp-1/delivery-reports", json: Bodies.report("rep-\(index)")).expectStatus(201)
            }
            // A fresh handler, as another process would be, holds no state of cmp-1; the
            // server's own is sent back to the store by a rival's append.
            let rival = CampaignCommandHandler(store: api.store, logger: .init(label: "rival"))
            try await rival.handle(.pause(CampaignID("cmp-1")), envelope: CommandEnvelope(
                commandID: "rival-pause", correlationID: UUID(), actor: "rival", issuedAt: APIHarness.now
            ))
            reads.reset()
            for (method, path) in [
                (HTTPRequest.Method.get, "/campaigns/cmp-1"), (.get, "/campaigns/cmp-1/history"), (.get, "/campaigns/cmp-1/delivery-reports"),
                (.post, "/campaigns/cmp-1/resume"), (.post, "/campaigns/cmp-1/cancel"),
            ] {
                let reply = try await api.send(method, path, key: APIHarness.Key.otherManager)
                #expect(reply.status == 403, "\(path): \(reply.body)")
            }
            // The owner comes from the state this process holds, or else from the first event.
            #expect(reads.largestRead <= 1, "reads: \(reads.limits)")
            #expect(try await api.version("cmp-1") == 24)
        }
    }

    @Test func aProcessThatNeverSawTheCampaignReadsItsSnapshotAndTail() async throws {
        try await APIHarness.with { api in
            try await api.activeCampaign("cmp-1")
            for index in 0..<30 {
                try await api.send(.post, "/campaigns/cmp-1/delivery-reports", json: Bodies.report("rep-\(index)")).expectStatus(201)
            }
            let replayed = try await api.handler.load(CampaignID("cmp-1"))
            // A fresh process replays the history once and keeps a snapshot of it.
            let reads = ReadRecorder()
            let first = CampaignCommandHandler(store: reads.inFront(of: api.store), logger: .init(label: "first"), snapshots: api.store, snapshotEvery: 10)
            let (state, version) = try await first.current(CampaignID("cmp-1"))
            #expect(version == replayed.1)
            #expect(state == replayed.0)
            #expect(reads.versionsReadFrom.first == 1, "the whole history, from version 1")
            // Two more reports; the next fresh process reads the snapshot and only what follows it.
            for index in 30..<32 {
                try await api.send(.post, "/campaigns/cmp-1/delivery-reports", json: Bodies.report("rep-\(index)")).expectStatus(201)
            }
            reads.reset()
            let second = CampaignCommandHandler(store: reads.inFront(of: api.store), logger: .init(label: "second"), snapshots: api.store, snapshotEvery: 10)
            let (latest, latestVersion) = try await second.current(CampaignID("cmp-1"))
            #expect(latestVersion == version + 2)
            #expect(latest == (try await api.handler.load(CampaignID("cmp-1"))).0)
            #expect(reads.versionsReadFrom == [version + 1], "reads from \(reads.versionsReadFrom)")
            // And it decides from it: a report it already holds is a no-op.
            let outcome = try await second.handle(
                .reportDelivery(ReportDelivery(campaignID: "cmp-1", report: DeliveryReport(
                    reportID: "rep-31", subcampaignID: "sub-1", from: "2026-12-01T00:00:00Z", to: "2026-12-01T01:00:00Z",
                    impressions: 1_000, reachEstimate: 800, clicks: 10, conversions: 1, spend: Money(amountMinor: 1_000, currency: "EUR")
                ))),
                envelope: CommandEnvelope(commandID: "dup-report", correlationID: UUID(), actor: "t", issuedAt: APIHarness.now)
            )
            #expect(outcome.events.isEmpty)
        }
    }

    @Test func theCampaignIsReadAsItsLastStateAndItsTail() async throws {
        let reads = ReadRecorder()
        try await APIHarness.with(storeOfServer: { reads.inFront(of: $0) }) { api in
            try await api.activeCampaign("cmp-1")
            for index in 0..<30 {
                try await api.send(.post, "/campaigns/cmp-1/delivery-reports", json: Bodies.report("rep-\(index)")).expectStatus(201)
            }
            // Another process appends: this one's state is one event behind.
            let rival = CampaignCommandHandler(store: api.store, logger: .init(label: "rival"))
            try await rival.handle(.pause(CampaignID("cmp-1")), envelope: CommandEnvelope(
                commandID: "rival-pause", correlationID: UUID(), actor: "rival", issuedAt: APIHarness.now
            ))
            reads.reset()
            let campaign = try await api.send(.get, "/campaigns/cmp-1", key: APIHarness.Key.manager)
            campaign.expectStatus(200)
            #expect(campaign.eTag == "\"34\"")
            #expect(campaign.json["status"] == .string("paused"))
            // The body no longer carries the report digests; they are paged apart.
            #expect(campaign.json["deliveryReportDigests"] == nil)
            // One read for the owner (from the state held), one for the tail after version 33.
            #expect(reads.versionsReadFrom == [34], "reads from: \(reads.versionsReadFrom)")
        }
    }

    @Test func historyAndDeliveryReportsComeInPages() async throws {
        try await APIHarness.with { api in
            try await api.activeCampaign("cmp-1")
            for index in 0..<5 {
                try await api.send(.post, "/campaigns/cmp-1/delivery-reports", json: Bodies.report("rep-\(index)")).expectStatus(201)
            }
            var versions: [Int64] = []
            var after: Int64? = 0
            while let next = after {
                let page = try await api.send(.get, "/campaigns/cmp-1/history?after=\(next)&limit=3", key: APIHarness.Key.auditor)
                page.expectStatus(200)
                guard case .array(let events) = page.json["events"] else { Issue.record("no events"); return }
                #expect(events.count <= 3)
                for event in events { if case .integer(let version) = event["streamVersion"] { versions.append(version) } }
                if case .integer(let following) = page.json["nextAfter"] { after = following } else { after = nil }
            }
            #expect(versions == Array(1...8))

            var reports: [String] = []
            var reportAfter: String? = ""
            while let next = reportAfter {
                let query = next.isEmpty ? "limit=2" : "after=\(next)&limit=2"
                let page = try await api.send(.get, "/campaigns/cmp-1/delivery-reports?\(query)", key: APIHarness.Key.manager)
                page.expectStatus(200)
                #expect(page.eTag == "\"8\"")
                guard case .array(let items) = page.json["reports"] else { Issue.record("no reports"); return }
                for item in items {
                    if case .string(let id) = item["reportId"] { reports.append(id) }
                    if case .string(let digest) = item["contentDigest"] { #expect(digest.count == 64) }
                }
                if case .string(let following) = page.json["nextAfter"] { reportAfter = following } else { reportAfter = nil }
            }
            #expect(reports == (0..<5).map { "rep-\($0)" })
            try await api.send(.get, "/campaigns/cmp-1/history?limit=0").expectStatus(400)
            try await api.send(.get, "/campaigns/cmp-1/history?after=-1").expectStatus(400)
            try await api.send(.get, "/campaigns/cmp-404/delivery-reports").expectStatus(404)
        }
    }
}

/// Records every stream read the server's handler makes: how many events it asked for and
/// from which version.
final class ReadRecorder: Sendable {
    private let reads = Mutex<[(from: Int, limit: Int)]>([])

    func inFront(of store: PostgresEventStore) -> any EventStore { RecordingStore(store: store, recorder: self) }

    func record(from: Int, limit: Int) { reads.withLock { $0.append((from, limit)) } }
    func reset() { reads.withLock { $0.removeAll() } }
    var limits: [Int] { reads.withLock { $0.map(\.limit) } }
    var largestRead: Int { limits.max() ?? 0 }
    var versionsReadFrom: [Int] { reads.withLock { $0.map(\.from) } }
}

private struct RecordingStore: EventStore {
    let store: PostgresEventStore
    let recorder: ReadRecorder

    func append(_ request: AppendRequest) async throws(EventStoreError) -> AppendResult {
        try await store.append(request)
    }

    func readStream(_ streamID: StreamID, from version: StreamPosition, direction: ReadDirection, limit: Int) async throws(EventStoreError) -> [RecordedEvent] {
        if case .version(let from) = version { recorder.record(from: from, limit: limit) } else { recorder.record(from: -1, limit: limit) }
        return try await store.readStream(streamID, from: version, direction: direction, limit: limit)
    }

    func readLog(after cursor: LogCursor?, limit: Int) async throws(EventStoreError) -> LogPage {
        try await store.readLog(after: cursor, limit: limit)
    }

    func logHorizon() async throws(EventStoreError) -> LogHorizon {
        try await store.logHorizon()
    }

    func streamVersion(_ streamID: StreamID) async throws(EventStoreError) -> Int? {
        try await store.streamVersion(streamID)
    }

    func listStreams(after streamID: StreamID?, limit: Int) async throws(EventStoreError) -> [StreamHead] {
        try await store.listStreams(after: streamID, limit: limit)
    }

    func appendResult(forCommand commandID: String) async throws(EventStoreError) -> AppendResult? {
        try await store.appendResult(forCommand: commandID)
    }
}
