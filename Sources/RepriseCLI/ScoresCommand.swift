import ArgumentParser
import Foundation
import Logging
import NATS
import RepriseScores
import RepriseScoring

/// `reprise scores watch`: what a personalization system sees, the snapshot, then changes.
struct ScoresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scores",
        abstract: "Promotion scores as personalization systems see them.",
        subcommands: [ScoresWatchCommand.self]
    )
}

struct ScoresWatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print the current scores of a market and surface, then each change as it happens (until Ctrl-C).",
        discussion: """
            Personalization systems connect as the user `personalization` of the NATS account PERSONALIZATION, \
            with the inbox prefix `_INBOX_personalization`, and read the bucket `scores` there: a copy of the \
            platform's bucket (ops/nats/personalization-mirror.py). To watch as they do, pass \
            --nats-url nats://personalization:<password>@<host>:4222; this command sets the inbox prefix \
            `_INBOX_<user>` from the URL's user. With the operator's URL (the default), it reads the platform's \
            bucket itself.
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "ISO market code, such as SE.") var market: String
    @Option(help: "Surface, such as home.") var surface: String
    @Option(help: "The key-value bucket of scores.") var bucket = "scores"
    @Option(help: "Inbox prefix of the connection (default: _INBOX_<user of the URL>).") var inboxPrefix: String?
    @Option(help: "Stop after this many live changes (for scripts).") var changes: Int?
    @Flag(help: "Print JSON lines instead of text.") var json = false

    func run() async throws {
        let options = try common.resolve()
        let logger = options.makeLogger(label: "reprise.scores")
        try await NATSConnection.withConnection(
            url: options.natsURL.value, name: "reprise-scores-watch", logger: logger, options: NATSConnectionOptions(inboxPrefix: inboxPrefix)
        ) { connection in
            let kv = try await connection.jetStream().keyValue(bucket: bucket)
            let watch = try await kv.watch(keys: PublishedScore.keyToken(market) + "." + PublishedScore.keyToken(surface) + ".>")
            var live = false
            var seen = 0
            for try await event in watch {
                switch event {
                case .initialValuesDone:
                    live = true
                    emit(json ? #"{"event":"snapshot-done"}"# : "-- snapshot done; live changes follow --")
                case .entry(let entry):
                    emit(line(entry, live: live))
                    if live {
                        seen += 1
                        if let changes, seen >= changes { watch.stop(); return }
                    }
                }
            }
        }
    }

    /// Unbuffered, so a pipe or a test reading the output sees each change as it comes.
    private func emit(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    private func line(_ entry: KeyValueEntry, live: Bool) -> String {
        let kind = entry.operation == .put ? (live ? "changed" : "current") : "removed"
        if json {
            let value = entry.operation == .put ? String(decoding: entry.value, as: UTF8.self) : "null"
            return #"{"event":"\#(kind)","key":"\#(entry.key)","revision":\#(entry.revision),"score":\#(value)}"#
        }
        guard entry.operation == .put,
              let object = try? JSONSerialization.jsonObject(with: Data(entry.value)) as? [String: Any]
        else { return "\(kind) \(entry.key)" }
        let score = (object["scoreMicros"] as? Int).map { String(format: "%.6f", Double($0) / 1_000_000) } ?? "?"
        return "\(kind) \(entry.key) score \(score) (campaign \(object["campaignId"] ?? "?"), subcampaign \(object["subcampaignId"] ?? "?"))"
    }
}
