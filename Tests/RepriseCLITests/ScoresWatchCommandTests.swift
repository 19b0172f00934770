import Foundation
import Logging
import NATS
import RepriseTestSupport
import Testing

@Suite("reprise scores watch")
struct ScoresWatchCommandTests {
    @Test("prints the market and surface's snapshot, then each live change, and nothing of other markets")
    func snapshotThenChanges() async throws {
        let logger = Logger(label: "test.scores-watch", factory: { _ in SwiftLogNoOpLogHandler() })
        let bucketName = TestEnvironment.uniqueName("W")
        let (status, seen) = try await NATSConnection.withConnection(
            url: TestEnvironment.natsURL, name: "scores-watch-test", logger: logger
        ) { connection in
            let js = try connection.jetStream()
            let bucket = try await js.createKeyValue(KeyValueConfiguration(bucket: bucketName, storage: .memory))
            do {
                let outcome = try await Self.watchWhileChanging(bucket, named: bucketName)
                try? await js.deleteKeyValue(bucket: bucketName)
                return outcome
            } catch {
                try? await js.deleteKeyValue(bucket: bucketName)
                throw error
            }
        }

        #expect(status == 0)
        #expect(seen.components(separatedBy: "\n").filter { !$0.isEmpty } == [
            "current SE.home.trk-1 score 0.500000 (campaign c1, subcampaign s1)",
            "-- snapshot done; live changes follow --",
            "changed SE.home.trk-1 score 0.600000 (campaign c1, subcampaign s1)",
            "removed SE.home.trk-1",
        ])
    }

    /// Runs `reprise scores watch` on `bucket`, changes it once the snapshot is printed,
    /// and returns the process's exit status with everything it printed.
    private static func watchWhileChanging(_ bucket: KeyValueBucket, named bucketName: String) async throws -> (Int32, String) {
        _ = try await bucket.put(key: "SE.home.trk-1", value: Array(#"{"campaignId":"c1","scoreMicros":500000,"subcampaignId":"s1"}"#.utf8))
        _ = try await bucket.put(key: "NO.home.trk-9", value: Array(#"{"campaignId":"c9","scoreMicros":100000,"subcampaignId":"s9"}"#.utf8))

        let process = Process()
        process.executableURL = RepriseBinary.url
        process.arguments = ["scores", "watch", "--market", "SE", "--surface", "home", "--bucket", bucketName, "--changes", "2"]
        var environment = ProcessInfo.processInfo.environment
        environment["REPRISE_NATS_URL"] = TestEnvironment.natsURL
        environment["REPRISE_LOG_LEVEL"] = "warning"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // Changes made after the watcher has printed its snapshot.
        let reader = output.fileHandleForReading
        var seen = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while !seen.contains("snapshot done"), ContinuousClock.now < deadline {
            seen += try await RepriseBinary.offload { String(decoding: reader.availableData, as: UTF8.self) }
        }
        _ = try await bucket.put(key: "NO.home.trk-9", value: Array(#"{"campaignId":"c9","scoreMicros":200000,"subcampaignId":"s9"}"#.utf8))
        _ = try await bucket.put(key: "SE.home.trk-1", value: Array(#"{"campaignId":"c1","scoreMicros":600000,"subcampaignId":"s1"}"#.utf8))
        try await bucket.delete(key: "SE.home.trk-1")
        seen += try await RepriseBinary.offload {
            let rest = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return rest
        }
        return (process.terminationStatus, seen)
    }
}
