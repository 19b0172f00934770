import Foundation
import Logging
import Postgres
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog
import RepriseEventStore
import RepriseTestSupport
import Synchronization
import Testing

/// Lost races against another writer on the same database: a second command handler, with
/// an in-process queue of its own, as a second server would have.
///
/// The rival's commands are real appends to the real log; what the test decides is only
/// when they happen: just before the server's own append, after the server has loaded and
/// decided, which is the window a rival on another server hits by chance.
@Suite struct ConflictTests {
    static let correlation = "0d5b8c1e-7d0a-4d8e-b3a4-2f6f1c9a7e55"

    @Test func anUnpinnedWriteThatKeepsLosingIs409AndAppendsNothing() async throws {
        let rival = Rival()
        try await APIHarness.with(storeOfServer: { rival.inFront(of: $0) }) { api in
            try await api.activeCampaign("cmp-1")
            // Every attempt of the server loses to the rival, which pauses and resumes in turn.
            rival.arm(times: .max) { turn in turn.isMultiple(of: 2) ? .pause("cmp-1") : .resume("cmp-1") }
            let reply = try await api.send(
                .post, "/campaigns/cmp-1/change-budget", json: #"{"budget":{"amountMinor":2000000,"currency":"EUR"}}"#,
                headers: ["X-Correlation-ID": Self.correlation]
            )
            rival.disarm()
            reply.expectStatus(409)
            #expect(reply.contentType == "application/problem+json")
            #expect(reply.problemType == "conflict")
            let moves = rival.moves
            #expect(moves > 0)
            // The rival's events are all there; none of the server's command.
            #expect(try await api.version("cmp-1") == 3 + moves)
            #expect(reply.json["currentVersion"] == .integer(Int64(3 + moves)))
            #expect(try await api.events(correlatedWith: Self.correlation) == 0)
            let (campaign, _) = try await api.handler.load("cmp-1")
            #expect(campaign?.budget == Money(amountMinor: 1_000_000, currency: "EUR"))
        }
    }

    @Test func aPinnedWriteThatLosesTheRaceIs412AndAppendsNothing() async throws {
        let rival = Rival()
        try await APIHarness.with(storeOfServer: { rival.inFront(of: $0) }) { api in
            try await api.activeCampaign("cmp-1")
            rival.arm(times: 1) { _ in .pause("cmp-1") }
            // If-Match matches what the server loads; the rival moves the campaign on before the append.
            let reply = try await api.send(
                .post, "/campaigns/cmp-1/change-budget", json: #"{"budget":{"amountMinor":2000000,"currency":"EUR"}}"#,
                headers: ["If-Match": "\"3\"", "X-Correlation-ID": Self.correlation]
            )
            reply.expectStatus(412)
            #expect(reply.contentType == "application/problem+json")
            #expect(reply.problemType == "version_mismatch")
            #expect(reply.eTag == "\"4\"")
            #expect(rival.moves == 1)
            #expect(try await api.version("cmp-1") == 4)
            #expect(try await api.events(correlatedWith: Self.correlation) == 0)
        }
    }

    @Test func aBulkBuyWhoseCampaignIsCreatedMeanwhileIs409AndBooksNothing() async throws {
        let rival = Rival()
        try await APIHarness.with(storeOfServer: { rival.inFront(of: $0) }) { api in
            rival.arm(times: 1) { _ in
                .create(CreateCampaign(
                    campaignID: "cmp-b", ownerID: "label-9", name: "Rival single", objective: .reach,
                    budget: Money(amountMinor: 5_000, currency: "EUR"),
                    flight: Flight(start: "2026-12-01T00:00:00Z", end: "2026-12-31T00:00:00Z"), pacingMode: .even
                ))
            }
            let reply = try await api.send(
                .post, "/campaigns/bulk-buys", json: #"{"items":[\#(Bodies.create("cmp-a")),\#(Bodies.create("cmp-b"))]}"#,
                headers: ["X-Correlation-ID": Self.correlation]
            )
            reply.expectStatus(409)
            #expect(reply.contentType == "application/problem+json")
            #expect(reply.problemType == "conflict")
            #expect(try await api.version("cmp-a") == 0)
            #expect(try await api.version("cmp-b") == 1)
            #expect(try await api.events(correlatedWith: Self.correlation) == 0)
            #expect(try await api.eventCount() == 1)
        }
    }
}

/// A second writer, let in just before the server's next appends while armed.
final class Rival: Sendable {
    private struct Plan {
        var remaining = 0
        var moves = 0
        var move: (@Sendable (Int) -> CampaignCommand)?
    }

    private let plan = Mutex(Plan())

    /// How many commands the rival has carried out.
    var moves: Int { plan.withLock { $0.moves } }

    /// Before each of the server's next `times` appends, the rival handles `move(turn)`.
    func arm(times: Int, move: @escaping @Sendable (Int) -> CampaignCommand) {
        plan.withLock { $0 = Plan(remaining: times, moves: 0, move: move) }
    }

    func disarm() {
        plan.withLock { $0.remaining = 0 }
    }

    /// The store for the server's handler: `store`, with the rival going first while armed.
    func inFront(of store: PostgresEventStore) -> any EventStore {
        StoreWithRival(store: store, rival: self, rivalHandler: CampaignCommandHandler(store: store, logger: Logger(label: "test.rival")))
    }

    fileprivate func nextMove() -> (turn: Int, command: CampaignCommand)? {
        plan.withLock { plan -> (turn: Int, command: CampaignCommand)? in
            guard plan.remaining > 0, let move = plan.move else { return nil }
            plan.remaining -= 1
            defer { plan.moves += 1 }
            return (plan.moves, move(plan.moves))
        }
    }
}

/// The real store; each append first lets the rival handle its next command, through a
/// handler of its own (its own per-campaign queue) on the same store.
private struct StoreWithRival: EventStore {
    let store: PostgresEventStore
    let rival: Rival
    let rivalHandler: CampaignCommandHandler

    func append(_ request: AppendRequest) async throws(EventStoreError) -> AppendResult {
        if let move = rival.nextMove() {
            let envelope = CommandEnvelope(
                commandID: "rival-\(move.turn)-\(UUID().uuidString)", correlationID: UUID(), actor: "rival", issuedAt: "2026-11-21T12:00:00Z"
            )
            do {
                try await rivalHandler.handle(move.command, envelope: envelope)
            } catch {
                throw EventStoreError(code: .unavailable, message: "the rival's command failed: \(error)")
            }
        }
        return try await store.append(request)
    }

    func readStream(_ streamID: StreamID, from version: StreamPosition, direction: ReadDirection, limit: Int) async throws(EventStoreError) -> [RecordedEvent] {
        try await store.readStream(streamID, from: version, direction: direction, limit: limit)
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

extension APIHarness {
    /// Events carrying this correlation id: what one request appended.
    func events(correlatedWith correlation: String) async throws -> Int {
        try await pool.query("SELECT count(*) FROM events WHERE correlation_id = \(correlation)::uuid").first?.decode(Int.self, at: 0) ?? 0
    }
}
