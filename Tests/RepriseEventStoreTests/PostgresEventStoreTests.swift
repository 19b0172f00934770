import Foundation
import Logging
import Postgres
import RepriseEventLog
import RepriseEventStore
import RepriseTestSupport
import Testing

@Suite("PostgreSQL event store: append and read")
struct PostgresEventStoreTests {
    @Test func appendsAndReadsAStreamInVersionOrder() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            let events = (1...3).map { Fixtures.event("thing.happened", #"{"n": \#($0), "name": "héllo 🎵"}"#) }
            let result = try await store.append(Fixtures.append("thing-1", .noStream, events))
            #expect(result.streams == [AppendResult.Stream(streamID: "thing-1", previousVersion: 0, version: 3)])
            #expect(result.eventCount == 3)
            #expect(!result.isDuplicate)

            let read = try await store.readStream("thing-1", from: .start, direction: .forward, limit: 100)
            #expect(read.map(\.streamVersion) == [1, 2, 3])
            #expect(read.map(\.eventID) == events.map(\.eventID))
            #expect(read[0].metadata == Fixtures.metadata)
            #expect(String(decoding: read[0].data, as: UTF8.self).contains("héllo 🎵"))
            #expect(try await store.streamVersion("thing-1") == 3)
            #expect(try await store.streamVersion("nothing") == nil)
        }
    }

    @Test func readsBackwardAndFromAVersion() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            try await store.append(Fixtures.append("s", .noStream, (1...5).map { _ in Fixtures.event() }))
            let backward = try await store.readStream("s", from: .end, direction: .backward, limit: 2)
            #expect(backward.map(\.streamVersion) == [5, 4])
            let fromThree = try await store.readStream("s", from: .version(3), direction: .forward, limit: 10)
            #expect(fromThree.map(\.streamVersion) == [3, 4, 5])
            let downFromThree = try await store.readStream("s", from: .version(3), direction: .backward, limit: 10)
            #expect(downFromThree.map(\.streamVersion) == [3, 2, 1])
        }
    }

    @Test func theHashChainMatchesTheSwiftComputation() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            try await store.append(Fixtures.append("chain", .noStream, [Fixtures.event("a", #"{"z": 1, "a": [1, 2]}"#)]))
            try await store.append(Fixtures.append("chain", .exactly(1), [Fixtures.event("b", #"{"text": "line\nbreak \"quoted\""}"#)]))
            let read = try await store.readStream("chain", from: .start, direction: .forward, limit: 10)
            #expect(read[0].previousHash == nil)
            #expect(read[1].previousHash == read[0].hash)
            for event in read {
                #expect(EventHash.compute(for: event) == event.hash, "event \(event.streamVersion)")
            }
        }
    }

    @Test func aStaleExpectedVersionIsAConflictCarryingTheActualVersion() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            try await store.append(Fixtures.append("s", .noStream, [Fixtures.event(), Fixtures.event()]))

            let stale = await #expect(throws: EventStoreError.self) {
                try await store.append(Fixtures.append("s", .exactly(1), [Fixtures.event()]))
            }
            #expect(stale?.code == .wrongExpectedVersion)
            #expect(stale?.actualVersion == 2)
            #expect(stale?.streamID == "s")

            let exists = await #expect(throws: EventStoreError.self) {
                try await store.append(Fixtures.append("s", .noStream, [Fixtures.event()]))
            }
            #expect(exists?.code == .wrongExpectedVersion)
            #expect(exists?.actualVersion == 2)

            let missing = await #expect(throws: EventStoreError.self) {
                try await store.append(Fixtures.append("absent", .exactly(4), [Fixtures.event()]))
            }
            #expect(missing?.actualVersion == 0)
            #expect(try await store.streamVersion("absent") == nil)

            let any = try await store.append(Fixtures.append("s", .any, [Fixtures.event()]))
            #expect(any.streams[0].previousVersion == 2)
            #expect(try await store.streamVersion("s") == 3)
        }
    }

    @Test func aRetriedCommandReturnsTheFirstResultAndAppendsNothing() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            let request = Fixtures.append("s", .noStream, [Fixtures.event()], commandID: "command-42")
            let first = try await store.append(request)
            let retry = try await store.append(request)
            #expect(retry.isDuplicate)
            #expect(retry.streams == first.streams)
            #expect(retry.recordedAt == first.recordedAt)
            // Even a retry carrying other events appends nothing: the command id decides.
            let different = try await store.append(Fixtures.append("s", .any, [Fixtures.event()], commandID: "command-42"))
            #expect(different.isDuplicate)
            #expect(try await store.streamVersion("s") == 1)
        }
    }

    @Test func concurrentRetriesOfOneCommandAppendOnce() async throws {
        try await MigratedDatabase.with(maxConnections: 8) { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            let request = Fixtures.append("s", .any, [Fixtures.event()], commandID: "same-command")
            let results = try await withThrowingTaskGroup(of: AppendResult.self) { group in
                for _ in 0..<8 { group.addTask { try await store.append(request) } }
                return try await group.reduce(into: [AppendResult]()) { $0.append($1) }
            }
            #expect(results.filter { !$0.isDuplicate }.count == 1)
            #expect(Set(results.map(\.streams)).count == 1)
            #expect(try await store.streamVersion("s") == 1)
        }
    }

    @Test func aMultiStreamAppendIsAllOrNothing() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            try await store.append(Fixtures.append("b", .noStream, [Fixtures.event()]))
            let bulk = AppendRequest(
                commandID: "bulk",
                streams: [
                    StreamAppend(streamID: "a", expectedVersion: .noStream, events: [Fixtures.event()]),
                    StreamAppend(streamID: "b", expectedVersion: .noStream, events: [Fixtures.event()]),
                    StreamAppend(streamID: "c", expectedVersion: .noStream, events: [Fixtures.event(), Fixtures.event()]),
                ],
                metadata: Fixtures.metadata
            )
            let error = await #expect(throws: EventStoreError.self) { try await store.append(bulk) }
            #expect(error?.streamID == "b")
            #expect(try await store.streamVersion("a") == nil)
            #expect(try await store.streamVersion("c") == nil)

            let good = AppendRequest(commandID: "bulk-2", streams: [bulk.streams[0], bulk.streams[2]], metadata: Fixtures.metadata)
            let result = try await store.append(good)
            #expect(result.streams.map(\.version) == [1, 2])
            #expect(result.eventCount == 3)
        }
    }

    @Test func badAppendsAreRefusedAndWriteNothing() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            let cases: [AppendRequest] = [
                AppendRequest(commandID: "none", streams: [], metadata: Fixtures.metadata),
                Fixtures.append("s", .noStream, []),
                Fixtures.append("s", .noStream, [Fixtures.event("t", "[1, 2]")]),
                Fixtures.append("s", .noStream, [Fixtures.event("t", "{not json")]),
                Fixtures.append("s", .exactly(0), [Fixtures.event()]),
            ]
            for request in cases {
                let error = await #expect(throws: EventStoreError.self) { try await store.append(request) }
                #expect(error?.code == .invalidAppend, "\(request)")
            }
            #expect(try await store.streamVersion("s") == nil)
            let page = try await store.readLog(after: nil, limit: 10)
            #expect(page.events.isEmpty)
        }
    }

    @Test func anEventIDIsStoredOnce() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            let event = Fixtures.event()
            try await store.append(Fixtures.append("one", .noStream, [event]))
            let error = await #expect(throws: EventStoreError.self) {
                try await store.append(Fixtures.append("two", .noStream, [event]))
            }
            #expect(error?.code == .duplicateEventID)
            #expect(try await store.streamVersion("two") == nil)
        }
    }
}
