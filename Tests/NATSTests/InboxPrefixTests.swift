import NATS
import RepriseTestSupport
import Testing

/// Every user of `ops/nats/nats-server.conf` may subscribe only to its own inbox prefix,
/// `_INBOX_<user>`, never to `_INBOX.>`; a connection sets that prefix from its URL's user,
/// and every libnats path that waits for a reply must then use it.
@Suite("Inbox prefixes")
struct InboxPrefixTests {
    static let options = JetStreamOptions(requestTimeout: .seconds(2))

    @Test("the prefix is _INBOX_<user> of the URL, or none without a user and password")
    func prefixFromURL() {
        #expect(NATSConnectionOptions.inboxPrefix(forURL: "nats://relay:secret@127.0.0.1:4222") == "_INBOX_relay")
        #expect(NATSConnectionOptions.inboxPrefix(forURL: "nats://projector-scores:a:b@h:1,nats://other:x@h:2") == "_INBOX_projector-scores")
        #expect(NATSConnectionOptions.inboxPrefix(forURL: "nats://127.0.0.1:4222") == nil)
        #expect(NATSConnectionOptions.inboxPrefix(forURL: "nats://a-token@127.0.0.1:4222") == nil)
    }

    @Test("with its own prefix the operator's JetStream requests, async-publish acks, pull fetches and watches all work")
    func everyReplyPathUsesThePrefix() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream(options: Self.options)
            try await NATSTest.withStream(js) { stream, prefix in
                try js.publishAsync(subject: "\(prefix).a", payload: [1], messageID: "inbox-1")
                let published = try await js.waitForPublishes(timeout: .seconds(5))
                #expect(published.acks.count == 1 && published.failures.isEmpty)
                _ = try await js.addConsumer(stream: stream, ConsumerConfiguration(durableName: "inbox-pull"))
                let pull = try await js.pullSubscribe(stream: stream, consumer: "inbox-pull")
                let fetched = try await withHangGuard { try await NATSTest.fetch(pull, count: 1) }
                #expect(fetched.map(\.payload) == [[1]])
            }
            try await NATSTest.withBucket(js) { bucket in
                _ = try await bucket.put(key: "k", value: [2])
                let watch = try await bucket.watch()
                let first = try await withHangGuard { () -> KeyValueWatchEvent? in
                    var iterator = watch.makeAsyncIterator()
                    return try await iterator.next()
                }
                watch.stop()
                guard case .entry(let entry) = first else {
                    Issue.record("expected the entry first, got \(String(describing: first))")
                    return
                }
                #expect(entry.value == [2])
            }
        }
    }

    @Test("the shared _INBOX prefix is refused: a JetStream request as the operator fails")
    func sharedPrefixRefused() async throws {
        try await NATSConnection.withConnection(
            url: TestEnvironment.natsURL, name: "nats-tests", logger: NATSTest.logger, options: NATSConnectionOptions(inboxPrefix: "_INBOX")
        ) { connection in
            let js = try connection.jetStream(options: Self.options)
            let error = await natsError { _ = try await js.streamInfo(name: "EVENTS") }
            #expect(error != nil)
        }
    }

    @Test("no user may subscribe to _INBOX.> or to another user's inbox", arguments: [
        ("reprise", "_INBOX.>"), ("reprise", "_INBOX_relay.>"), ("reprise", "_INBOX_projector-scores.>"),
        ("relay", "_INBOX.>"), ("relay", "_INBOX_projector-scores.>"), ("relay", "_INBOX_reprise.>"),
        ("projector-scores", "_INBOX.>"), ("projector-scores", "_INBOX_relay.>"),
        ("projector-campaigns", "_INBOX.>"), ("projector-campaigns", "_INBOX_projector-scores.>"),
        ("personalization", "_INBOX.>"), ("personalization", ">"),
    ])
    func inboxesArePrivate(user: String, subject: String) async throws {
        let url = user == "reprise" ? TestEnvironment.natsURL : TestEnvironment.natsURL(user: user, password: "\(user)-dev")
        try await NATSTest.withConnection(url: url) { connection in
            let subscription = try connection.subscribe(subject: subject)
            let outcome = try await withHangGuard { () -> Result<Int, any Error> in
                var count = 0
                do {
                    for try await _ in subscription { count += 1 }
                    return .success(count)
                } catch {
                    return .failure(error)
                }
            }
            switch outcome {
            case .success(let count):
                Issue.record("\(user) subscribed to \(subject) and the subscription ended after \(count) messages")
            case .failure(let error):
                #expect((error as? NATSError)?.code == .permissionDenied, "\(user) on \(subject): \(error)")
            }
        }
    }

    @Test("only the relay may publish events: the operator may not")
    func operatorPublishesNoEvents() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream(options: Self.options)
            let error = await natsError { _ = try await js.publish(subject: "events.campaign.created", payload: [1]) }
            #expect(error?.code == .permissionDenied)
        }
    }
}
