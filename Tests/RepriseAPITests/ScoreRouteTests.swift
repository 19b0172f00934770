import HTTPTypes
import RepriseAPI
import Testing

@Suite struct ScoreRouteTests {
    @Test("scores of a market and surface, highest first, as the bucket holds them")
    func listsScoresHighestFirst() async throws {
        try await APIHarness.with { api in
            let reply = try await api.send(.get, "/scores?market=SE&surface=home", key: APIHarness.Key.auditor)
            #expect(reply.status == 200)
            #expect(reply.body == #"{"market":"SE","scores":[{"campaignId":"cmp-2","score":0.7,"scoreMicros":700000,"subcampaignId":"sub-1","track":"trk-2"},{"campaignId":"cmp-1","score":0.512345,"scoreMicros":512345,"subcampaignId":"sub-1","track":"trk-1"}],"surface":"home"}"#)
            let empty = try await api.send(.get, "/scores?market=NO&surface=home")
            #expect(empty.body == #"{"market":"NO","scores":[],"surface":"home"}"#)
        }
    }

    @Test("an unknown or missing market or surface is a 400 naming the parameter")
    func refusesUnknownParameters() async throws {
        try await APIHarness.with { api in
            for (query, parameter) in [("market=XX&surface=home", "market"), ("market=SE&surface=attic", "surface"), ("surface=home", "market")] {
                let reply = try await api.send(.get, "/scores?\(query)")
                #expect(reply.status == 400)
                #expect(reply.problemType == "invalid_parameter")
                #expect(reply.body.contains(parameter))
            }
        }
    }
}
