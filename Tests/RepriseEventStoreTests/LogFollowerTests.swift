import Foundation
import Postgres
import RepriseEventLog
import RepriseEventStore
import RepriseTestSupport
import Synchronization
import Testing

/// The classic way Postgres event stores lose events: positions are handed out at insert
/// and become visible at commit, in another order. A follower that pages through the log
/// while writers are busy must still see every committed event exactly once, and never
/// one that was rolled back.
@Suite("PostgreSQL event store: following the log")
struct LogFollowerTests {
    @Test func aFollowerSeesEveryCommittedEventOnceWhateverTheCommitOrder() async throws {
        try await MigratedDatabase.with(maxConnections: 8) { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            let writers = 6
            let appendsPerWriter = 150
            let aborters = 2
            let abortsPerAborter = 40
            let shared = SharedState()

            let seenEvents = try await withThrowingTaskGroup(of: [RecordedEvent]?.self) { group in
                // Plain writers through the store.
                for writer in 0..<writers {
                    group.addTask {
                        for index in 0..<appendsPerWriter {
                            // Every third append also writes a stream all writers share, so
                            // multi-stream transactions contend for streams.
                            var streams = [StreamAppend(streamID: StreamID("writer-\(writer)-\(index % 10)"), expectedVersion: .any, events: [Fixtures.event()])]
                            if index % 3 == 0 {
                                streams.append(StreamAppend(streamID: StreamID("shared-\(index % 2)"), expectedVersion: .any, events: [Fixtures.event()]))
                            }
                            try await store.append(AppendRequest(commandID: UUID().uuidString, streams: streams, metadata: Fixtures.metadata))
                        }
                        return nil
                    }
                }
                // Writers whose transactions roll back after appending.
                for aborter in 0..<aborters {
                    group.addTask {
                        try await database.withConnection { connection in
                            for index in 0..<abortsPerAborter {
                                let eventID = UUID()
                                shared.rolledBack.withLock { _ = $0.insert(eventID) }
                                try await connection.simpleQuery("BEGIN")
                                try await Self.rawAppend(connection, stream: "aborter-\(aborter)-\(index)", eventID: eventID)
                                try await connection.simpleQuery("ROLLBACK")
                            }
                        }
                        return nil
                    }
                }
                // One slow writer: takes its position early and commits long after others.
                group.addTask {
                    try await database.withConnection { connection in
                        try await connection.simpleQuery("BEGIN")
                        try await Self.rawAppend(connection, stream: "slow", eventID: UUID())
                        try await connection.query("SELECT pg_sleep(1.5)")
                        try await connection.simpleQuery("COMMIT")
                    }
                    return nil
                }
                // The follower: pages through the log until every committed event is seen.
                group.addTask {
                    var cursor: LogCursor?
                    var events: [RecordedEvent] = []
                    // Once the writers are done, the follower stops when the visibility
                    // horizon has passed every transaction that existed then (plus one more
                    // read): a fixed number of idle rounds would stop early whenever another
                    // test's transaction holds the cluster-wide horizon back a little longer.
                    var target: UInt64?
                    var horizonPassedTarget = false
                    while true {
                        let page = try await store.readLog(after: cursor, limit: 97)
                        events += page.events
                        if let last = cursor, let first = page.events.first {
                            #expect(first.cursor > last, "the log went backwards")
                        }
                        cursor = page.cursor
                        guard page.events.isEmpty else { continue }
                        if horizonPassedTarget { break }
                        if target == nil, shared.writersDone.load(ordering: .acquiring) {
                            target = try await store.logHorizon().nextTransactionID
                        }
                        if let target, try await store.logHorizon().stableBelow >= target {
                            horizonPassedTarget = true
                        } else {
                            try await Task.sleep(for: .milliseconds(20))
                        }
                    }
                    return events
                }

                var followerResult: [RecordedEvent] = []
                var finishedWriters = 0
                let totalWriters = writers + aborters + 1
                while let result = try await group.next() {
                    if let events = result {
                        followerResult = events
                    } else {
                        finishedWriters += 1
                        if finishedWriters == totalWriters { shared.writersDone.store(true, ordering: .releasing) }
                    }
                }
                return followerResult
            }

            let committed = try await database.withConnection { connection in
                try await connection.query("SELECT event_id FROM events").map { try $0.decode(UUID.self, at: 0) }
            }
            let seen = seenEvents.map(\.eventID)
            let sharedAppends = writers * ((appendsPerWriter + 2) / 3)
            #expect(committed.count == writers * appendsPerWriter + sharedAppends + 1)
            #expect(seen.count == committed.count, "seen \(seen.count) of \(committed.count)")
            #expect(Set(seen).count == seen.count, "an event was seen twice")
            #expect(Set(seen) == Set(committed), "missing or extra events")
            #expect(Set(seen).isDisjoint(with: shared.rolledBack.withLock { $0 }), "a rolled-back event was seen")

            // The log order keeps every stream in version order, even across
            // multi-stream transactions that contended for a shared stream.
            var lastVersion: [StreamID: Int] = [:]
            for event in seenEvents {
                #expect(event.streamVersion == (lastVersion[event.streamID] ?? 0) + 1, "\(event.streamID) out of order")
                lastVersion[event.streamID] = event.streamVersion
            }
        }
    }

    @Test func readingTheLogTwiceGivesTheSameOrder() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            for index in 0..<50 {
                try await store.append(Fixtures.append(StreamID("s-\(index % 7)"), .any, [Fixtures.event(), Fixtures.event()]))
            }
            func readAll(pageSize: Int) async throws -> [UUID] {
                var ids: [UUID] = []
                try await LogCatchUp.read(store, pageSize: pageSize) { events in
                    ids += events.map(\.eventID)
                    return .more
                }
                return ids
            }
            let first = try await readAll(pageSize: 7)
            let second = try await readAll(pageSize: 1000)
            #expect(first.count == 100)
            #expect(first == second)
        }
    }

    /// Transaction ids are numbers: 9 comes before 10, although "10" < "9" as text.
    @Test func theLogIsOrderedByTransactionNumberNotItsText() async throws {
        try await MigratedDatabase.with { pool, database in
            let store = PostgresEventStore(pool: pool, logger: database.logger)
            let ten = UUID()
            let nine = UUID()
            try await database.withConnection { connection in
                for (transaction, id) in [("10", ten), ("9", nine)] {
                    try await connection.query("""
                        INSERT INTO events (transaction_id, event_id, stream_id, stream_version, event_type, schema_version, data,
                                            correlation_id, actor, command_id, recorded_at, hash)
                        VALUES (\(transaction)::xid8, \(id), \("s-" + transaction), 1, 't', 1, '{}', \(UUID()), 'test', 'c',
                                now(), sha256('x'))
                        """)
                }
            }
            let page = try await store.readLog(after: nil, limit: 10)
            #expect(page.events.map(\.eventID) == [nine, ten])
            let after = try await store.readLog(after: page.events.first?.cursor, limit: 10)
            #expect(after.events.map(\.eventID) == [ten])
        }
    }

    /// What the writers and the follower share while the test runs.
    private final class SharedState: Sendable {
        let writersDone = Atomic<Bool>(false)
        let rolledBack = Mutex<Set<UUID>>([])
    }

    /// `reprise_append` called inside a transaction the test controls.
    private static func rawAppend(_ connection: PostgresConnection, stream: String, eventID: UUID) async throws {
        try await connection.query("""
            SELECT reprise_append(\(UUID().uuidString), ARRAY[\(stream)], ARRAY[-1], ARRAY[1], ARRAY[\(eventID)]::uuid[],
                                  ARRAY['test.raw'], ARRAY[1], ARRAY['{}'::jsonb], \(UUID()), NULL, 'test')
            """)
    }
}
