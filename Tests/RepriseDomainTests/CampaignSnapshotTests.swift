import Foundation
import RepriseDomain
import Testing

@Suite("Campaign snapshots")
struct CampaignSnapshotTests {
    @Test("a snapshot gives back the state its events built, report digests and version included")
    func roundTrip() throws {
        var scenario = try Scenario.active()
        for index in 0..<5 {
            try scenario.run(.reportDelivery(ReportDelivery(
                campaignID: Fixture.campaignID, report: Fixture.report(try ReportID("rep-\(index)"), spend: Fixture.euros(100))
            )))
        }
        try scenario.run(.pause(Fixture.campaignID))
        let campaign = try scenario.campaign
        let restored = try #require(Campaign(snapshot: campaign.snapshot(), format: Campaign.snapshotFormat))
        #expect(restored == campaign)
        #expect(restored.deliveryReportDigests.count == 5)
        #expect(restored.version == scenario.events.count)

        // The restored state decides as the replayed one does: a report already taken is a no-op.
        let again = try Campaign.decide(
            .reportDelivery(ReportDelivery(campaignID: Fixture.campaignID, report: Fixture.report("rep-0", spend: Fixture.euros(100)))),
            state: restored, context: Fixture.context()
        )
        let replayedAgain = try Campaign.decide(
            .reportDelivery(ReportDelivery(campaignID: Fixture.campaignID, report: Fixture.report("rep-0", spend: Fixture.euros(100)))),
            state: campaign, context: Fixture.context()
        )
        #expect(again == replayedAgain)
    }

    @Test("another format, bytes that are not a snapshot, or a state that contradicts itself give nil")
    func untrusted() throws {
        let campaign = try Scenario.active().campaign
        #expect(Campaign(snapshot: campaign.snapshot(), format: Campaign.snapshotFormat + 1) == nil)
        #expect(Campaign(snapshot: Array("{}".utf8), format: Campaign.snapshotFormat) == nil)
        #expect(Campaign(snapshot: [0xFF, 0x00], format: Campaign.snapshotFormat) == nil)
        let text = String(decoding: campaign.snapshot(), as: UTF8.self).replacingOccurrences(of: #""version":3"#, with: #""version":0"#)
        #expect(Campaign(snapshot: Array(text.utf8), format: Campaign.snapshotFormat) == nil)
    }
}
