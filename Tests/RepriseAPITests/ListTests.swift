import RepriseDomain
import Testing

@Suite struct ListTests {
    /// The list is the `campaigns` projection: it follows the log through the relay and
    /// the projector, so the test waits until all five campaigns are listed.
    @Test func listsByOwnerAndStatusInPages() async throws {
        try await APIHarness.with(fanout: true) { api in
            for id in ["cmp-a", "cmp-b", "cmp-c"] { try await api.send(.post, "/campaigns", json: Bodies.create(id)).expectStatus(201) }
            try await api.activeCampaign("cmp-d")
            try await api.send(.post, "/campaigns", json: Bodies.create("cmp-e", owner: "label-9")).expectStatus(201)
            let deadline = ContinuousClock.now + .seconds(30)
            while true {
                let all = ids(try await api.send(.get, "/campaigns?limit=10", key: APIHarness.Key.auditor))
                let active = ids(try await api.send(.get, "/campaigns?status=active", key: APIHarness.Key.auditor))
                if all.count == 5, active == ["cmp-d"] { break }
                guard ContinuousClock.now < deadline else { Issue.record("the list never caught up"); return }
                try await Task.sleep(for: .milliseconds(20))
            }

            let first = try await api.send(.get, "/campaigns?ownerId=label-7&status=draft&limit=2", key: APIHarness.Key.auditor)
            #expect(first.status == 200)
            #expect(ids(first) == ["cmp-a", "cmp-b"])
            #expect(first.json["nextAfter"] == .string("cmp-b"))
            let second = try await api.send(.get, "/campaigns?ownerId=label-7&status=draft&limit=2&after=cmp-b", key: APIHarness.Key.auditor)
            #expect(ids(second) == ["cmp-c"])
            #expect(second.json["nextAfter"] == nil)

            let active = try await api.send(.get, "/campaigns?status=active", key: APIHarness.Key.auditor)
            #expect(ids(active) == ["cmp-d"])
            if case .array(let items) = active.json["items"] {
                #expect(items.first?["version"] == JSONValue.integer(3))
            }

            // A manager sees its own owners only, and may not name another.
            let mine = try await api.send(.get, "/campaigns", key: APIHarness.Key.otherManager)
            #expect(ids(mine) == ["cmp-e"])
            #expect(try await api.send(.get, "/campaigns?ownerId=label-7", key: APIHarness.Key.otherManager).status == 403)

            for query in ["status=gone", "limit=0", "limit=201", "after=-x", "ownerId=a%20b"] {
                let bad = try await api.send(.get, "/campaigns?\(query)")
                #expect(bad.status == 400, "\(query)")
                #expect(bad.problemType == "invalid_parameter")
            }
        }
    }

    private func ids(_ reply: Reply) -> [String] {
        guard case .array(let items) = reply.json["items"] else { return [] }
        return items.compactMap { if case .string(let id) = $0["campaignId"] { id } else { nil } }
    }
}
