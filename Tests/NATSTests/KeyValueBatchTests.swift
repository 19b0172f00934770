import NATS
import RepriseTestSupport
import Testing

@Suite("JetStream key-value batches")
struct KeyValueBatchTests {
    @Test("a batch of puts and deletes is stored in order: revisions follow the batch, and reads see each write")
    func putsAndDeletesInOrder() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withBucket(js) { bucket in
                let before = try await bucket.put(key: "gone.0", value: [0])
                let keys = (1...500).map { "score.\($0)" }
                let writes = keys.map { KeyValueWrite.put(key: $0, value: Array($0.utf8)) } + [.delete(key: "gone.0")]
                let result = try await bucket.write(writes, timeout: .seconds(30))
                #expect(result.allSucceeded, "\(result.failures.prefix(3))")
                // One stream, one connection: revision N+1 is the batch's Nth write.
                #expect(writes.map { result.revisions[$0.key] } == (1...UInt64(writes.count)).map { before + $0 })

                #expect(try await bucket.get(key: "score.1")?.value == Array("score.1".utf8))
                #expect(try await bucket.get(key: "score.500")?.revision == result.revisions["score.500"])
                #expect(try await bucket.get(key: "gone.0") == nil)
            }
        }
    }

    @Test("a watcher sees a batched delete as a delete entry, like a single delete")
    func deleteIsAKeyValueDelete() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withBucket(js) { bucket in
                try await bucket.put(key: "a", value: [1])
                _ = try await bucket.write([.delete(key: "a"), .put(key: "b", value: [2])])
                let watch = try await bucket.watch()
                let entries = try await withHangGuard { () -> [KeyValueEntry] in
                    var entries: [KeyValueEntry] = []
                    for try await event in watch {
                        guard case .entry(let entry) = event else { break }
                        entries.append(entry)
                    }
                    watch.stop()
                    return entries
                }
                #expect(entries.map(\.key) == ["a", "b"])
                #expect(entries.map(\.operation) == [.delete, .put])
            }
        }
    }

    @Test("batches never take the acks of async publishes on the shared context, nor of each other")
    func isolatedFromOtherAsyncPublishes() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withStream(js) { _, prefix in
                try await NATSTest.withBucket(js) { bucket in
                    for index in 1...200 { try js.publishAsync(subject: "\(prefix).e", payload: [UInt8(index % 256)]) }
                    async let first = bucket.write((1...300).map { .put(key: "first.\($0)", value: [1]) }, timeout: .seconds(30))
                    async let second = bucket.write((1...300).map { .put(key: "second.\($0)", value: [2]) }, timeout: .seconds(30))
                    let (one, two) = try await (first, second)
                    #expect(one.allSucceeded && two.allSucceeded)
                    #expect(one.revisions.count == 300 && two.revisions.count == 300)
                    #expect(Set(one.revisions.values).isDisjoint(with: two.revisions.values))

                    let shared = try await js.waitForPublishes(timeout: .seconds(30))
                    #expect(shared.failures.isEmpty)
                    #expect(shared.acks.map(\.sequence) == Array(1...200))
                }
            }
        }
    }

    @Test("writes to a bucket that is gone are reported as failures, by key; nothing is thrown")
    func failuresAreReportedByKey() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            let name = TestEnvironment.uniqueName("kv")
            let bucket = try await js.createKeyValue(KeyValueConfiguration(bucket: name, storage: .memory))
            try await js.deleteKeyValue(bucket: name)
            let result = try await bucket.write([.put(key: "a", value: [1]), .delete(key: "b")], timeout: .seconds(2))
            #expect(result.revisions.isEmpty)
            #expect(Set(result.failures.keys) == ["a", "b"])
            #expect(result.failures["a"]?.subject == "$KV.\(name).a")
        }
    }

    @Test("an empty batch is a no-op; a key written twice is invalidArgument")
    func emptyAndRepeatedKeys() async throws {
        try await NATSTest.withConnection { connection in
            let js = try connection.jetStream()
            try await NATSTest.withBucket(js) { bucket in
                let empty = try await bucket.write([])
                #expect(empty.allSucceeded && empty.revisions.isEmpty)
                let twice = await natsError { _ = try await bucket.write([.put(key: "k", value: [1]), .delete(key: "k")]) }
                #expect(twice?.code == .invalidArgument)
                #expect(try await bucket.get(key: "k") == nil)
            }
        }
    }
}
