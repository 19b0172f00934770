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

            let garbage = try await api.send(.post, "/campaigns/cmp-1/pause", headers: ["If-Match": "\"v-four\""])
            #expect(garbage.status == 412)
            #expect(try await api.version("cmp-1") == 4)
        }
    }
}

extension Reply {
    func expectStatus(_ status: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(self.status == status, "\(body)", sourceLocation: sourceLocation)
    }
}
