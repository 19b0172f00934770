import NATS
import RepriseTestSupport
import Testing

@Suite("JetStream key-value")
struct KeyValueTests {
    @Test("a watch delivers the latest value of each key, then initialValuesDone once, then each change in order")
    func watchSnapshotThenUpdates() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withBucket(js) { bucket in
                try await bucket.put(key: "promo.a", value: Array("a1".utf8))
                try await bucket.put(key: "promo.b", value: Array("b1".utf8))
                try await bucket.put(key: "promo.c", value: Array("c1".utf8))
                let latestA = try await bucket.put(key: "promo.a", value: Array("a2".utf8))

                let watch = try await bucket.watch()
                let (snapshot, marker, live, afterStop) = try await withHangGuard {
                    var iterator = watch.makeAsyncIterator()
                    var snapshot: [KeyValueEntry] = []
                    var marker: KeyValueWatchEvent?
                    while let event = try await iterator.next() {
                        guard case .entry(let entry) = event else {
                            marker = event
                            break
                        }
                        snapshot.append(entry)
                    }
                    try await bucket.put(key: "promo.d", value: Array("d1".utf8))
                    try await bucket.delete(key: "promo.b")
                    var live: [KeyValueWatchEvent] = []
                    while live.count < 2, let event = try await iterator.next() { live.append(event) }
                    watch.stop()
                    let afterStop = try await iterator.next()
                    return (snapshot, marker, live, afterStop)
                }

                let values = Dictionary(uniqueKeysWithValues: snapshot.map { ($0.key, String(decoding: $0.value, as: UTF8.self)) })
                #expect(snapshot.count == 3)
                #expect(values == ["promo.a": "a2", "promo.b": "b1", "promo.c": "c1"])
                #expect(snapshot.first { $0.key == "promo.a" }?.revision == latestA)
                #expect(snapshot.allSatisfy { $0.operation == .put && $0.bucket == bucket.bucket })
                #expect(marker == .initialValuesDone)

                guard live.count == 2, case .entry(let put) = live[0], case .entry(let deleted) = live[1] else {
                    Issue.record("expected two entries, got \(live)")
                    return
                }
                #expect(put.key == "promo.d" && put.operation == .put && put.value == Array("d1".utf8))
                #expect(deleted.key == "promo.b" && deleted.operation == .delete && deleted.value.isEmpty)
                #expect(deleted.revision > put.revision)
                #expect(afterStop == nil)
            }
        }
    }

    @Test("the snapshot marker comes first in an empty bucket, and only once")
    func emptyBucketWatch() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withBucket(js) { bucket in
                let watch = try await bucket.watch(keys: "u.*.score")
                let events = try await withHangGuard { () -> [KeyValueWatchEvent] in
                    var iterator = watch.makeAsyncIterator()
                    var events: [KeyValueWatchEvent] = []
                    if let first = try await iterator.next() { events.append(first) }
                    try await bucket.put(key: "u.1.score", value: [9])
                    try await bucket.put(key: "u.1.other", value: [0])
                    try await bucket.put(key: "u.2.score", value: [7])
                    while events.count < 3, let event = try await iterator.next() { events.append(event) }
                    watch.stop()
                    return events
                }
                #expect(events.first == .initialValuesDone)
                let keys = events.dropFirst().compactMap { event -> String? in
                    if case .entry(let entry) = event { return entry.key }
                    return nil
                }
                #expect(keys == ["u.1.score", "u.2.score"])
            }
        }
    }

    @Test("compare-and-set with a stale revision is wrongLastRevision; a missing key reads as nil")
    func compareAndSet() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withBucket(js) { bucket in
                #expect(try await bucket.get(key: "nothing.here") == nil)

                let first = try await bucket.put(key: "campaign.1", value: [1])
                let second = try await bucket.update(key: "campaign.1", value: [2], expectedRevision: first)
                #expect(second > first)
                let stale = await natsError { _ = try await bucket.update(key: "campaign.1", value: [3], expectedRevision: first) }
                #expect(stale?.code == .wrongLastRevision)

                let entry = try #require(try await bucket.get(key: "campaign.1"))
                #expect(entry.value == [2])
                #expect(entry.revision == second)
                #expect(entry.operation == .put)

                let exists = await natsError { _ = try await bucket.create(key: "campaign.1", value: [4]) }
                #expect(exists?.code == .wrongLastRevision)
                let created = try await bucket.create(key: "campaign.2", value: [5])
                #expect(created > second)

                try await bucket.delete(key: "campaign.1")
                #expect(try await bucket.get(key: "campaign.1") == nil)
            }
        }
    }

    @Test("binding by name finds the bucket; a missing bucket is notFound")
    func openAndDelete() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            let name = TestEnvironment.uniqueName("kv")
            let created = try await js.createKeyValue(KeyValueConfiguration(bucket: name, storage: .memory))
            try await created.put(key: "k", value: [1])
            let opened = try await js.keyValue(bucket: name)
            #expect(try await opened.get(key: "k")?.value == [1])
            try await js.deleteKeyValue(bucket: name)
            let missing = await natsError { _ = try await js.keyValue(bucket: name) }
            #expect(missing?.code == .notFound)
        }
    }

    @Test("a bucket with rePublish also sends each put on core NATS under the prefix")
    func rePublish() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            let prefix = "t.\(TestEnvironment.uniqueName("scores"))"
            try await NATSTest.withBucket(js, configure: { $0.rePublishDestination = "\(prefix).>" }) { bucket in
                let subscription = try connection.subscribe(subject: "\(prefix).>")
                try await connection.flush(timeout: .seconds(5))
                let revision = try await bucket.put(key: "user.7", value: Array("0.93".utf8))
                let message = try await withHangGuard {
                    var iterator = subscription.makeAsyncIterator()
                    return try await iterator.next()
                }
                #expect(message?.subject == "\(prefix).user.7")
                #expect(message?.payload == Array("0.93".utf8))
                #expect(message?.headers["Nats-Sequence"] == String(revision))
                subscription.unsubscribe()
            }
        }
    }
}
