import Foundation
import RepriseDomain
import Testing

@Suite struct RetryTests {
    @Test func aRetryWithTheSameKeyGetsTheFirstAnswerAndAppendsNothing() async throws {
        try await APIHarness.with { api in
            let key = ["Idempotency-Key": "create-cmp-1"]
            let first = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1"), headers: key)
            let retry = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1"), headers: key)
            #expect(first.status == 201)
            #expect(retry.status == first.status)
            #expect(retry.body == first.body)
            #expect(retry.eTag == first.eTag)
            #expect(try await api.version("cmp-1") == 1)

            let report = ["Idempotency-Key": "report-1"]
            try await api.send(.post, "/campaigns/cmp-1/subcampaigns", json: Bodies.subcampaign).expectStatus(201)
            try await api.send(.post, "/campaigns/cmp-1/activate").expectStatus(200)
            let paused = try await api.send(.post, "/campaigns/cmp-1/pause", headers: report)
            // The same command again is refused by the domain (already paused), but the key
            // says it is a retry: the first answer comes back.
            let again = try await api.send(.post, "/campaigns/cmp-1/pause", headers: report)
            #expect(paused.status == 200)
            #expect(again.status == 200)
            #expect(again.body == paused.body)
            #expect(try await api.version("cmp-1") == 4)

            // Without a key, the same request is a new command.
            let fresh = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1"))
            #expect(fresh.status == 409)
            #expect(fresh.problemType == "campaign_already_exists")
        }
    }

    @Test func aKeyReusedWithAnotherBodyIsRefusedAndAppendsNothing() async throws {
        try await APIHarness.with { api in
            let key = ["Idempotency-Key": "create-once"]
            let first = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1"), headers: key)
            first.expectStatus(201)

            let reused = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1", budget: "2000000"), headers: key)
            reused.expectStatus(422)
            #expect(reused.contentType == "application/problem+json")
            #expect(reused.problemType == "idempotency_key_reused")
            #expect(reused.problemField == "Idempotency-Key")
            // Another campaign under the same key is just as much another request.
            let otherCampaign = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-2"), headers: key)
            otherCampaign.expectStatus(422)
            #expect(try await api.version("cmp-1") == 1)
            #expect(try await api.version("cmp-2") == 0)
            #expect(try await api.eventCount() == 1)

            // The same document, reformatted with its members in another order, is the same
            // request: the first answer comes back.
            let reformatted = try await api.send(
                .post, "/campaigns", json: Self.reordered(Bodies.create("cmp-1")), headers: key
            )
            #expect(reformatted.status == 201)
            #expect(reformatted.body == first.body)

            // On a campaign command: the budget changed once, the reuse with another amount refused.
            let budget = ["Idempotency-Key": "budget-once"]
            try await api.send(.post, "/campaigns/cmp-1/change-budget", json: #"{"budget":{"amountMinor":3000000,"currency":"EUR"}}"#, headers: budget)
                .expectStatus(200)
            let otherAmount = try await api.send(
                .post, "/campaigns/cmp-1/change-budget", json: #"{"budget":{"amountMinor":4000000,"currency":"EUR"}}"#, headers: budget
            )
            otherAmount.expectStatus(422)
            #expect(otherAmount.problemType == "idempotency_key_reused")
            #expect(try await api.version("cmp-1") == 2)
        }
    }

    @Test func aRequestRefusedBeforeItsKeyIsTakenLeavesTheKeyFree() async throws {
        try await APIHarness.with { api in
            let key = ["Idempotency-Key": "fix-and-retry"]
            let malformed = try await api.send(.post, "/campaigns", json: #"{"campaignId":"cmp-1"}"#, headers: key)
            malformed.expectStatus(400)
            let corrected = try await api.send(.post, "/campaigns", json: Bodies.create("cmp-1"), headers: key)
            corrected.expectStatus(201)
            #expect(try await api.eventCount() == 1)
        }
    }

    @Test func concurrentFirstUsesOfOneKeyWithTwoBodiesAppendOneOfThem() async throws {
        try await APIHarness.with { api in
            let replies = try await withThrowingTaskGroup(of: (String, Reply).self) { group in
                for index in 0..<8 {
                    let id = index % 2 == 0 ? "cmp-a" : "cmp-b"
                    group.addTask {
                        (id, try await api.postOnOwnConnection("/campaigns", json: Bodies.create(id), headers: ["Idempotency-Key": "raced"]))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let winners = Set(replies.filter { $0.1.status == 201 }.map(\.0))
            #expect(winners.count == 1)
            for (id, reply) in replies where !winners.contains(id) {
                #expect(reply.status == 422)
                #expect(reply.problemType == "idempotency_key_reused")
            }
            #expect(try await api.eventCount() == 1)
        }
    }

    /// The same JSON document with its top-level members in reverse order and spaces added.
    static func reordered(_ json: String) -> String {
        guard case .object(let members) = (try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))) ?? .null else { return json }
        let parts = members.keys.sorted().reversed().map { key in
            "\"\(key)\" : " + String(decoding: (try? JSONEncoder().encode(members[key]!)) ?? Data(), as: UTF8.self)
        }
        return "{ " + parts.joined(separator: ", ") + " }"
    }

    @Test func concurrentRetriesAppendOnce() async throws {
        try await APIHarness.with { api in
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await api.postOnOwnConnection("/campaigns", json: Bodies.create("cmp-1"), headers: ["Idempotency-Key": "one"])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(replies.map(\.status)) == [201])
            #expect(Set(replies.map(\.body)).count == 1)
            #expect(try await api.version("cmp-1") == 1)
            #expect(try await api.eventCount() == 1)
        }
    }

    @Test func concurrentCreatesOfOneIDBookItOnce() async throws {
        try await APIHarness.with { api in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await api.postOnOwnConnection("/campaigns", json: Bodies.create("cmp-1")).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted() == [201] + Array(repeating: 409, count: 7))
            #expect(try await api.eventCount() == 1)
        }
    }

    @Test func ifMatchMakesAWriteConditional() async throws {
        try await APIHarness.with { api in
            try await api.activeCampaign("cmp-1")
            let budget = #"{"budget":{"amountMinor":2000000,"currency":"EUR"}}"#
            let stale = try await api.send(.post, "/campaigns/cmp-1/change-budget", json: budget, headers: ["If-Match": "\"2\""])
            #expect(stale.status == 412)
            #expect(stale.problemType == "version_mismatch")
            #expect(stale.eTag == "\"3\"")
            #expect(try await api.version("cmp-1") == 3)

            let current = try await api.send(.post, "/campaigns/cmp-1/change-budget", json: budget, headers: ["If-Match": "\"3\""])
            #expect(current.status == 200)
            #expect(current.eTag == "\"4\"")

            // Not a version: malformed, refused before anything else is looked at.
            let garbage = try await api.send(.post, "/campaigns/cmp-1/pause", headers: ["If-Match": "\"v-four\""])
            #expect(garbage.status == 400)
            #expect(garbage.problemType == "invalid_header")
            #expect(try await api.version("cmp-1") == 4)
        }
    }
}

extension Reply {
    func expectStatus(_ status: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(self.status == status, "\(body)", sourceLocation: sourceLocation)
    }
}
