import RepriseTestSupport
import Testing

@Suite("reprise demo")
struct DemoCommandTests {
    @Test func booksACampaignAndVerifiesTheLog() async throws {
        try await MigratedDatabase.with { _, database in
            let run = try RepriseBinary.run(["demo", "--postgres-url", database.url])
            #expect(run.status == 0, "\(run.error)")
            #expect(run.output.contains("ok       go live: version 4"))
            #expect(run.output.contains("refused  try to cut the budget below what is spent (refused): budget_below_spent"))
            #expect(run.output.contains("log verified: 5 event(s) in 1 stream(s)"))
        }
    }
}
