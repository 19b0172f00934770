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

@Suite("PostgreSQL event store: group commit")
struct GroupCommitTests {
    @Test func aBatchAppendsEachCommandOrNoneOfIt() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            try await store.append(Fixtures.append("a", .noStream, [Fixtures.event()]))
            // Three commands in one call: the second expects a stale version of "a".
            let outcome = try await database.withConnection { connection in
                try await connection.query("""
                    SELECT reprise_append_batch(
                        ARRAY['c1', 'c2', 'c3'], ARRAY[\(UUID()), \(UUID()), \(UUID())]::uuid[], ARRAY[NULL, NULL, NULL]::uuid[],
                        ARRAY['t', 't', 't'], ARRAY[1, 2, 2, 3], ARRAY['a', 'a', 'b', 'c'], ARRAY[1, 1, 0, 0],
                        ARRAY[1, 2, 3, 4, 4], ARRAY[\(UUID()), \(UUID()), \(UUID()), \(UUID()), \(UUID())]::uuid[],
                        ARRAY['t', 't', 't', 't', 't'], ARRAY[1, 1, 1, 1, 1], ARRAY['{}', '{}', '{}', '{}', '{}']::jsonb[])::text
                    """)[0].decode(String.self, at: 0)
            }
            #expect(outcome.contains(#""status": "conflict""#))
            #expect(try await store.streamVersion("a") == 2)
            #expect(try await store.streamVersion("b") == nil, "the conflicting command wrote part of itself")
            #expect(try await store.streamVersion("c") == 2)
            #expect(try await ChainVerifier(store: store).verify().isIntact)
        }
    }

    @Test func concurrentAppendsEachGetTheirOwnOutcome() async throws {
        try await MigratedDatabase.with(maxConnections: 4) { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger, concurrentBatches: 1)
            let reused = Fixtures.event()
            try await store.append(Fixtures.append("taken", .noStream, [reused]))
            let outcomes = await withTaskGroup(of: (Int, Result<AppendResult, EventStoreError>).self) { group in
                for index in 0..<48 {
                    group.addTask {
                        // Every third expects a version its new stream cannot have; every
                        // eighth reuses a stored event id; the rest are fine.
                        let expected: ExpectedVersion = index % 3 == 0 ? .exactly(5) : .noStream
                        let event = index % 8 == 1 ? reused : Fixtures.event()
                        do throws(EventStoreError) {
                            return (index, .success(try await store.append(Fixtures.append(StreamID("s-\(index)"), expected, [event]))))
                        } catch {
                            return (index, .failure(error))
                        }
                    }
                }
                return await group.reduce(into: [Int: Result<AppendResult, EventStoreError>]()) { $0[$1.0] = $1.1 }
            }
            for index in 0..<48 {
                switch outcomes[index] {
                case .success(let result) where index % 3 != 0 && index % 8 != 1:
                    #expect(result.streams.first?.version == 1)
                case .failure(let error) where index % 3 == 0:
                    #expect(error.code == .wrongExpectedVersion, "append \(index)")
                case .failure(let error) where index % 8 == 1:
                    #expect(error.code == .duplicateEventID, "append \(index)")
                default:
                    Issue.record("append \(index) had the wrong outcome: \(String(describing: outcomes[index]))")
                }
            }
            #expect(try await ChainVerifier(store: store).verify().isIntact)
        }
    }
}
