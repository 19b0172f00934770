import Foundation
import Logging
import Postgres
import RepriseEventLog
import RepriseEventStore
import RepriseTestSupport
import Testing

@Suite("PostgreSQL event store: what only PostgreSQL does")
struct PostgresEventStoreTests {
    /// The log keeps data as jsonb prints it, and the SQL hash covers that text: the
    /// Swift computation must agree with it, whatever the writer's spacing and key order.
    @Test func dataIsStoredAsJSONBPrintsItAndTheHashCoversThatText() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            try await store.append(Fixtures.append("chain", .noStream, [Fixtures.event("a", #"{"zz":1,  "a" : [1,2]}"#)]))
            let read = try await store.readStream("chain", from: .start, direction: .forward, limit: 10)
            #expect(String(decoding: read[0].data, as: UTF8.self) == #"{"a": [1, 2], "zz": 1}"#)
            #expect(EventHash.compute(for: read[0]) == read[0].hash)
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
