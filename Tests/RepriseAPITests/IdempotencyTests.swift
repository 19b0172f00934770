import Foundation
import Postgres
import RepriseCampaigns
import RepriseDomain
import RepriseEventLog
import RepriseEventStore
import Synchronization
import Testing

/// One `Idempotency-Key`, one answer: refusals and no-ops are remembered, concurrent copies
/// and retries after a lost answer get the first answer, and keys expire.
@Suite struct IdempotencyTests {
    @Test func aRetryOfARefusalGetsTheSameRefusalAfterTheCampaignChanged() async throws {
        try await APIHarness.with { api in
            try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1")).expectStatus(201)
            try await api.send(.post, "/campaigns/cmp-1/subcampaigns", json: Bodies.subcampaign).expectStatus(201)
            let key = ["Idempotency-Key": "pause-a-draft"]
            // Only an active campaign can be paused: refused.
            let refused = try await api.send(.post, "/campaigns/cmp-1/pause", headers: key)
            refused.expectStatus(409)
            try await api.send(.post, "/campaigns/cmp-1/activate").expectStatus(200)
            // Decided again, the retry would now pause the campaign; it gets the refusal back.
            let retry = try await api.send(.post, "/campaigns/cmp-1/pause", headers: key)
            #expect(retry.status == refused.status)
            #expect(retry.body == refused.body)
            #expect(retry.contentType == "application/problem+json")
            #expect(try await api.version("cmp-1") == 3)
        }
    }

    @Test func aRetryOfANoOpGetsTheSameAnswerAfterTheCampaignChanged() async throws {
        try await APIHarness.with { api in
            try await api.activeCampaign("cmp-1")
            let budget = #"{"budget":{"amountMinor":1000000,"currency":"EUR"}}"#
            let key = ["Idempotency-Key": "same-budget"]
            // The budget is already 1,000,000: nothing changes.
            let noOp = try await api.send(.post, "/campaigns/cmp-1/change-budget", json: budget, headers: key)
            noOp.expectStatus(200)
            #expect(noOp.eTag == "\"3\"")
            try await api.send(.post, "/campaigns/cmp-1/change-budget", json: #"{"budget":{"amountMinor":2000000,"currency":"EUR"}}"#)
                .expectStatus(200)
            let retry = try await api.send(.post, "/campaigns/cmp-1/change-budget", json: budget, headers: key)
            #expect(retry.status == 200)
            #expect(retry.body == noOp.body)
            #expect(retry.eTag == noOp.eTag)
            #expect(try await api.version("cmp-1") == 4)
            // The key still tells bodies apart.
            let other = try await api.send(
                .post, "/campaigns/cmp-1/change-budget", json: #"{"budget":{"amountMinor":3000000,"currency":"EUR"}}"#, headers: key
            )
            other.expectStatus(422)
            #expect(other.problemType == "idempotency_key_reused")
        }
    }

    /// Copies of one pause race an activation: whichever state the first copy meets, every
    /// copy gets its answer.
    @Test func concurrentCopiesOfOneRequestGetOneAnswerWhileTheCampaignChanges() async throws {
        try await APIHarness.with { api in
            for round in 0..<4 {
                let id = "cmp-\(round)"
                try await api.send(.post, "/campaigns", json: Bodies.create(id)).expectStatus(201)
                try await api.send(.post, "/campaigns/\(id)/subcampaigns", json: Bodies.subcampaign).expectStatus(201)
                let replies = try await withThrowingTaskGroup(of: Reply?.self) { group in
                    for copy in 0..<8 {
                        if copy == 2 {
                            group.addTask {
                                _ = try await api.postOnOwnConnection("/campaigns/\(id)/activate", json: "")
                                return nil
                            }
                        }
                        group.addTask {
                            try await api.postOnOwnConnection("/campaigns/\(id)/pause", json: "", headers: ["Idempotency-Key": "pause-\(id)"])
                        }
                    }
                    return try await group.reduce(into: [Reply]()) { if let reply = $1 { $0.append(reply) } }
                }
                #expect(replies.count == 8)
                #expect(Set(replies.map(\.status)).count == 1, "\(replies.map(\.status))")
                #expect(Set(replies.map(\.body)).count == 1)
            }
        }
    }

    /// The server died after the append committed and before it answered: the retry finds
    /// the key the append recorded and answers as the first try would have, although the
    /// campaign has moved on so far that the command, decided again, would be refused.
    @Test func aRetryAfterTheAnswerWasLostGetsTheAppendsAnswer() async throws {
        try await APIHarness.with { api in
            try await api.activeCampaign("cmp-1")
            let key = ["Idempotency-Key": "lost-answer"]
            let first = try await api.send(.post, "/campaigns/cmp-1/pause", headers: key)
            first.expectStatus(200)
            // What the dead server left: the events and the key. What it never sent is
            // gone; the next commands move the campaign on (resume, then pause by another key).
            try await api.send(.post, "/campaigns/cmp-1/resume").expectStatus(200)
            try await api.send(.post, "/campaigns/cmp-1/pause", headers: ["Idempotency-Key": "another"]).expectStatus(200)
            let retry = try await api.send(.post, "/campaigns/cmp-1/pause", headers: key)
            #expect(retry.status == 200)
            #expect(retry.body == first.body)
            #expect(retry.eTag == "\"4\"")
            #expect(try await api.version("cmp-1") == 6)
            // The key went in with the events, in the append's transaction: one row, no answer kept.
            let rows = try await api.pool.query("SELECT count(*), count(answer_status) FROM idempotency_keys")
            #expect(try rows.first?.decode(Int.self, at: 0) == 2)
            #expect(try rows.first?.decode(Int.self, at: 1) == 0)
        }
    }

    @Test func aBulkBuyRetryGetsItsItemsInTheirFirstOrder() async throws {
        try await APIHarness.with { api in
            let body = """
                {"items":[\(Self.bulkItem("cmp-z")),\(Self.bulkItem("cmp-a"))]}
                """
            let key = ["Idempotency-Key": "bulk-once"]
            let first = try await api.send(.post, "/campaigns/bulk-buys", json: body, headers: key)
            first.expectStatus(201)
            let retry = try await api.send(.post, "/campaigns/bulk-buys", json: body, headers: key)
            #expect(retry.status == 201)
            #expect(retry.body == first.body)
            #expect(try await api.eventCount() == 4)
        }
    }

    static func bulkItem(_ id: String) -> String {
        let campaign = Bodies.create(id).dropLast()
        return campaign + #","subcampaigns":[\#(Bodies.subcampaign)]}"#
    }

    @Test func keysExpireAfterTheRetentionInBoundedBatches() async throws {
        try await APIHarness.with { api in
            try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1")).expectStatus(201)
            try await api.send(.post, "/campaigns/cmp-1/subcampaigns", json: Bodies.subcampaign).expectStatus(201)
            // A draft cannot be paused: five refusals, five keys.
            for index in 0..<5 {
                try await api.send(.post, "/campaigns/cmp-1/pause", headers: ["Idempotency-Key": "refused-\(index)"]).expectStatus(409)
            }
            try await api.send(.post, "/campaigns/cmp-1/activate").expectStatus(200)
            let young = IdempotencyKeyExpiry(store: api.store, retention: .seconds(3_600), batchSize: 2, logger: .init(label: "test"))
            #expect(try await young.expireNow() == 0)
            try await api.send(.post, "/campaigns/cmp-1/pause", headers: ["Idempotency-Key": "refused-0"]).expectStatus(409)

            let expiry = IdempotencyKeyExpiry(store: api.store, retention: .zero, batchSize: 2, logger: .init(label: "test"))
            #expect(try await expiry.expireNow() == 5)
            #expect(try await api.pool.query("SELECT count(*) FROM idempotency_keys").first?.decode(Int.self, at: 0) == 0)
            // An expired key is a new key: the request is decided afresh.
            try await api.send(.post, "/campaigns/cmp-1/pause", headers: ["Idempotency-Key": "refused-0"]).expectStatus(200)
            #expect(try await api.version("cmp-1") == 4)
        }
    }

    /// The expiry skips keys another transaction holds instead of waiting for them, and
    /// appends (which only ever add keys) go on while it runs.
    @Test func theExpiryNeverWaitsOnAKeyInUse() async throws {
        try await APIHarness.with { api in
            try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1")).expectStatus(201)
            try await api.send(.post, "/campaigns/cmp-1/subcampaigns", json: Bodies.subcampaign).expectStatus(201)
            for index in 0..<3 {
                try await api.send(.post, "/campaigns/cmp-1/pause", headers: ["Idempotency-Key": "refused-\(index)"]).expectStatus(409)
            }
            let expiry = IdempotencyKeyExpiry(store: api.store, retention: .zero, batchSize: 10, logger: .init(label: "test"))
            try await api.pool.withTransaction { connection in
                _ = try await connection.query("SELECT command_id FROM idempotency_keys ORDER BY recorded_at LIMIT 1 FOR UPDATE")
                #expect(try await expiry.expireNow() == 2)
                try await api.send(.post, "/campaigns/cmp-1/activate", headers: ["Idempotency-Key": "during"]).expectStatus(200)
            }
            #expect(try await expiry.expireNow() == 2)
        }
    }
}
