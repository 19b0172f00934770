import Testing

@Suite("reprise config")
struct ConfigCommandTests {
    @Test("prints every setting's key in full, the relay's and projectors' NATS users masked")
    func everyKeyInFull() async throws {
        let run = try await RepriseBinary.run(["config"], environment: [
            "REPRISE_NATS_PROJECTOR_CAMPAIGNS_URL": "nats://projector-campaigns:hidden-secret@127.0.0.1:1",
        ])
        #expect(run.status == 0, "\(run.error)")
        for key in ["nats.relay-url", "nats.projector-scores-url", "nats.projector-campaigns-url", "projections.rebuild-resident-rows"] {
            #expect(run.output.contains(key + " "), "missing \(key) in \(run.output)")
        }
        #expect(run.output.contains("nats://projector-campaigns:***@127.0.0.1:1"))
        #expect(!run.output.contains("hidden-secret"))
    }
}
