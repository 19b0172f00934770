import Foundation
import RepriseEventLog
import Testing

/// What every `EventStore` must do, written once and run against each store
/// (`PostgresEventStore` in RepriseEventStoreTests, `InMemoryEventStore` in
/// RepriseEventLogTests), so that the two cannot drift apart.
///
/// Run each check on a fresh, empty store:
///
/// ```swift
/// @Test(arguments: EventStoreConformance.Check.allCases)
/// func conforms(_ check: EventStoreConformance.Check) async throws {
///     try await check.run(on: InMemoryEventStore())
/// }
/// ```
public enum EventStoreConformance {
    public enum Check: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case appendsAndReadsAStreamInVersionOrder
        case readsForwardBackwardAndFromAVersion
        case chainsEachStreamsHashes
        case refusesAStaleExpectedVersionWithTheActualVersion
        case answersARetriedCommandWithTheFirstResult
        case appendsConcurrentRetriesOfOneCommandOnce
        case appendsAMultiStreamCommandAllOrNothing
        case refusesBadAppendsAndWritesNothing
        case storesAnEventIDOnce
        case pagesThroughTheLogInOneOrder
        case readsTheLogUpToNow
        case listsStreamsInNameOrder
        case landsConcurrentAppendsOnSharedStreams

        public var testDescription: String { rawValue }

        /// Runs the check against `store`, which must be empty.
        public func run(on store: some EventStore) async throws {
            switch self {
            case .appendsAndReadsAStreamInVersionOrder: try await EventStoreConformance.appendsAndReadsAStreamInVersionOrder(store)
            case .readsForwardBackwardAndFromAVersion: try await EventStoreConformance.readsForwardBackwardAndFromAVersion(store)
            case .chainsEachStreamsHashes: try await EventStoreConformance.chainsEachStreamsHashes(store)
            case .refusesAStaleExpectedVersionWithTheActualVersion: try await EventStoreConformance.refusesAStaleExpectedVersion(store)
            case .answersARetriedCommandWithTheFirstResult: try await EventStoreConformance.answersARetriedCommandWithTheFirstResult(store)
            case .appendsConcurrentRetriesOfOneCommandOnce: try await EventStoreConformance.appendsConcurrentRetriesOfOneCommandOnce(store)
            case .appendsAMultiStreamCommandAllOrNothing: try await EventStoreConformance.appendsAMultiStreamCommandAllOrNothing(store)
            case .refusesBadAppendsAndWritesNothing: try await EventStoreConformance.refusesBadAppendsAndWritesNothing(store)
            case .storesAnEventIDOnce: try await EventStoreConformance.storesAnEventIDOnce(store)
            case .pagesThroughTheLogInOneOrder: try await EventStoreConformance.pagesThroughTheLogInOneOrder(store)
            case .readsTheLogUpToNow: try await EventStoreConformance.readsTheLogUpToNow(store)
            case .listsStreamsInNameOrder: try await EventStoreConformance.listsStreamsInNameOrder(store)
            case .landsConcurrentAppendsOnSharedStreams: try await EventStoreConformance.landsConcurrentAppendsOnSharedStreams(store)
            }
        }
    }

    // MARK: Builders

    static let metadata = EventMetadata(correlationID: UUID(), causationID: UUID(), actor: "conformance")

    static func event(_ type: String = "test.happened", _ json: String = #"{"n": 1}"#) -> NewEvent {
        NewEvent(eventID: UUID(), type: type, schemaVersion: 1, data: Array(json.utf8))
    }

    static func append(
        _ streamID: StreamID, _ expected: ExpectedVersion, _ events: [NewEvent], commandID: String = UUID().uuidString
    ) -> AppendRequest {
        AppendRequest(commandID: commandID, streams: [StreamAppend(streamID: streamID, expectedVersion: expected, events: events)], metadata: metadata)
    }

    /// The whole log, page by page.
    static func wholeLog(_ store: some EventStore, pageSize: Int = 1_000) async throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        try await LogCatchUp.read(store, pageSize: pageSize) { page in
            events += page
            return .more
        }
        return events
    }

    // MARK: Checks

    static func appendsAndReadsAStreamInVersionOrder(_ store: some EventStore) async throws {
        let events = (1...3).map { event("thing.happened", #"{"n": \#($0), "name": "héllo 🎵"}"#) }
        let result = try await store.append(append("thing-1", .noStream, events, commandID: "command-1"))
        #expect(result.streams == [AppendResult.Stream(streamID: "thing-1", previousVersion: 0, version: 3)])
        #expect(result.eventCount == 3)
        #expect(!result.isDuplicate)

        let read = try await store.readStream("thing-1", from: .start, direction: .forward, limit: 100)
        #expect(read.map(\.streamVersion) == [1, 2, 3])
        #expect(read.map(\.eventID) == events.map(\.eventID))
        #expect(read.allSatisfy { $0.metadata == metadata && $0.commandID == "command-1" && $0.type == "thing.happened" })
        #expect(read.allSatisfy { $0.recordedAt == result.recordedAt })
        // The store may reformat the JSON (PostgreSQL prints jsonb its own way), not change it.
        let n = try read.map { try #require(try JSONSerialization.jsonObject(with: Data($0.data)) as? [String: Any])["n"] as? Int }
        #expect(n == [1, 2, 3])
        #expect(String(decoding: read[0].data, as: UTF8.self).contains("héllo 🎵"))
        #expect(try await store.streamVersion("thing-1") == 3)
        #expect(try await store.streamVersion("nothing") == nil)
        #expect(try await store.readStream("nothing", from: .start, direction: .forward, limit: 10).isEmpty)
    }

    static func readsForwardBackwardAndFromAVersion(_ store: some EventStore) async throws {
        try await store.append(append("s", .noStream, (1...5).map { _ in event() }))
        func versions(_ from: StreamPosition, _ direction: ReadDirection, _ limit: Int) async throws -> [Int] {
            try await store.readStream("s", from: from, direction: direction, limit: limit).map(\.streamVersion)
        }
        #expect(try await versions(.end, .backward, 2) == [5, 4])
        #expect(try await versions(.version(3), .forward, 10) == [3, 4, 5])
        #expect(try await versions(.version(3), .backward, 10) == [3, 2, 1])
        #expect(try await versions(.start, .forward, 2) == [1, 2])
        #expect(try await versions(.start, .backward, 10) == [])
        #expect(try await versions(.end, .forward, 10) == [])
        #expect(try await versions(.version(9), .backward, 1) == [5])
        #expect(try await versions(.start, .forward, 0) == [])
    }

    static func chainsEachStreamsHashes(_ store: some EventStore) async throws {
        try await store.append(append("chain", .noStream, [event("a", #"{"z": 1, "a": [1, 2]}"#)]))
        try await store.append(append("chain", .exactly(1), [event("b", #"{"text": "line\nbreak \"quoted\""}"#), event("c")]))
        try await store.append(append("other", .noStream, [event()]))
        let read = try await store.readStream("chain", from: .start, direction: .forward, limit: 10)
        #expect(read[0].previousHash == nil)
        #expect(read[1].previousHash == read[0].hash)
        #expect(read[2].previousHash == read[1].hash)
        for event in read {
            #expect(event.hash.count == 32)
            #expect(EventHash.compute(for: event) == event.hash, "event \(event.streamVersion)")
        }
        let other = try await store.readStream("other", from: .start, direction: .forward, limit: 10)
        #expect(other[0].previousHash == nil)
        let report = try await ChainVerifier(store: store, pageSize: 2).verify()
        #expect(report.isIntact)
        #expect(report.eventsChecked == 4)
        #expect(report.streamsChecked == 2)
    }

    static func refusesAStaleExpectedVersion(_ store: some EventStore) async throws {
        try await store.append(append("s", .noStream, [event(), event()]))

        let stale = await #expect(throws: EventStoreError.self) { try await store.append(append("s", .exactly(1), [event()])) }
        #expect(stale?.code == .wrongExpectedVersion)
        #expect(stale?.actualVersion == 2)
        #expect(stale?.streamID == "s")
        #expect(stale?.expectedVersion == .exactly(1))

        let exists = await #expect(throws: EventStoreError.self) { try await store.append(append("s", .noStream, [event()])) }
        #expect(exists?.code == .wrongExpectedVersion)
        #expect(exists?.actualVersion == 2)

        let missing = await #expect(throws: EventStoreError.self) { try await store.append(append("absent", .exactly(4), [event()])) }
        #expect(missing?.actualVersion == 0)
        #expect(try await store.streamVersion("absent") == nil)

        let any = try await store.append(append("s", .any, [event()]))
        #expect(any.streams[0].previousVersion == 2)
        let exact = try await store.append(append("s", .exactly(3), [event()]))
        #expect(exact.streams == [AppendResult.Stream(streamID: "s", previousVersion: 3, version: 4)])
        #expect(try await store.streamVersion("s") == 4)
    }

    static func answersARetriedCommandWithTheFirstResult(_ store: some EventStore) async throws {
        #expect(try await store.appendResult(forCommand: "command-42") == nil)
        let request = append("s", .noStream, [event()], commandID: "command-42")
        let first = try await store.append(request)
        let retry = try await store.append(request)
        #expect(retry.isDuplicate)
        #expect(retry.streams == first.streams)
        #expect(retry.eventCount == first.eventCount)
        #expect(retry.recordedAt == first.recordedAt)
        // Even a retry carrying other events appends nothing: the command id decides.
        let different = try await store.append(append("s", .any, [event()], commandID: "command-42"))
        #expect(different.isDuplicate)
        #expect(try await store.streamVersion("s") == 1)

        var expected = first
        expected.isDuplicate = true
        #expect(try await store.appendResult(forCommand: "command-42") == expected)

        // A command that was refused is not remembered: sent again once it fits, it appends.
        let refused = append("s", .noStream, [event()], commandID: "command-43")
        await #expect(throws: EventStoreError.self) { try await store.append(refused) }
        #expect(try await store.appendResult(forCommand: "command-43") == nil)
        let fixed = try await store.append(append("s", .exactly(1), refused.streams[0].events, commandID: "command-43"))
        #expect(!fixed.isDuplicate)
        #expect(try await store.streamVersion("s") == 2)
    }

    static func appendsConcurrentRetriesOfOneCommandOnce(_ store: some EventStore) async throws {
        let request = append("s", .any, [event()], commandID: "same-command")
        let results = try await withThrowingTaskGroup(of: AppendResult.self) { group in
            for _ in 0..<8 { group.addTask { try await store.append(request) } }
            return try await group.reduce(into: [AppendResult]()) { $0.append($1) }
        }
        #expect(results.filter { !$0.isDuplicate }.count == 1)
        #expect(Set(results.map(\.streams)).count == 1)
        #expect(try await store.streamVersion("s") == 1)
    }

    static func appendsAMultiStreamCommandAllOrNothing(_ store: some EventStore) async throws {
        try await store.append(append("b", .noStream, [event()]))
        let bulk = AppendRequest(
            commandID: "bulk",
            streams: [
                StreamAppend(streamID: "c", expectedVersion: .noStream, events: [event(), event()]),
                StreamAppend(streamID: "a", expectedVersion: .noStream, events: [event()]),
                StreamAppend(streamID: "b", expectedVersion: .noStream, events: [event()]),
            ],
            metadata: metadata
        )
        let error = await #expect(throws: EventStoreError.self) { try await store.append(bulk) }
        #expect(error?.code == .wrongExpectedVersion)
        #expect(error?.streamID == "b")
        #expect(try await store.streamVersion("a") == nil)
        #expect(try await store.streamVersion("c") == nil)
        #expect(try await wholeLog(store).count == 1)

        // Streams come back in name order whatever the order asked, one command in one piece.
        let good = AppendRequest(commandID: "bulk-2", streams: [bulk.streams[0], bulk.streams[1]], metadata: metadata)
        let result = try await store.append(good)
        #expect(result.streams.map(\.streamID) == ["a", "c"])
        #expect(result.streams.map(\.version) == [1, 2])
        #expect(result.eventCount == 3)
        let log = try await wholeLog(store)
        #expect(log.suffix(3).map(\.streamID) == ["a", "c", "c"])
        #expect(Set(log.suffix(3).map(\.cursor.transactionID)).count == 1)
        #expect(log.suffix(3).allSatisfy { $0.commandID == "bulk-2" })
    }

    static func refusesBadAppendsAndWritesNothing(_ store: some EventStore) async throws {
        let twice = StreamAppend(streamID: "s", expectedVersion: .any, events: [event()])
        let cases: [AppendRequest] = [
            AppendRequest(commandID: "none", streams: [], metadata: metadata),
            AppendRequest(commandID: "", streams: [twice], metadata: metadata),
            AppendRequest(commandID: "twice", streams: [twice, twice], metadata: metadata),
            append("s", .noStream, []),
            append("s", .noStream, [event("t", "[1, 2]")]),
            append("s", .noStream, [event("t", "{not json")]),
            append("s", .noStream, [event(), event("t", "42")]),
            append("s", .exactly(0), [event()]),
        ]
        for request in cases {
            let error = await #expect(throws: EventStoreError.self) { try await store.append(request) }
            #expect(error?.code == .invalidAppend, "\(request)")
        }
        #expect(try await store.streamVersion("s") == nil)
        #expect(try await store.readLog(after: nil, limit: 10).events.isEmpty)
        #expect(try await store.listStreams(after: nil, limit: 10).isEmpty)
    }

    static func storesAnEventIDOnce(_ store: some EventStore) async throws {
        let stored = event()
        try await store.append(append("one", .noStream, [stored]))
        let again = await #expect(throws: EventStoreError.self) { try await store.append(append("two", .noStream, [stored])) }
        #expect(again?.code == .duplicateEventID)
        #expect(try await store.streamVersion("two") == nil)

        let fresh = event()
        let twiceInOne = await #expect(throws: EventStoreError.self) { try await store.append(append("three", .noStream, [fresh, fresh])) }
        #expect(twiceInOne?.code == .duplicateEventID)
        #expect(try await store.streamVersion("three") == nil)
        #expect(try await wholeLog(store).map(\.eventID) == [stored.eventID])
    }

    static func pagesThroughTheLogInOneOrder(_ store: some EventStore) async throws {
        let empty = try await store.readLog(after: nil, limit: 10)
        #expect(empty.events.isEmpty)
        #expect(empty.cursor == nil)

        var appended: [[UUID]] = []
        for index in 0..<7 {
            let events = (0...(index % 3)).map { _ in event() }
            try await store.append(append(StreamID("s-\(index % 2)"), .any, events))
            appended.append(events.map(\.eventID))
        }
        // PostgreSQL's stable prefix can lag while any transaction of the server is open;
        // once LogCatchUp has read everything, the horizon has passed these appends for good.
        #expect(try await wholeLog(store).count == appended.joined().count)
        var cursor: LogCursor?
        var seen: [RecordedEvent] = []
        while true {
            let page = try await store.readLog(after: cursor, limit: 3)
            #expect(page.events.count <= 3)
            if page.events.isEmpty {
                #expect(page.cursor == cursor, "an empty page keeps the cursor")
                break
            }
            #expect(page.cursor == page.events.last?.cursor)
            seen += page.events
            cursor = page.cursor
        }
        // Commands in the order they were appended, each command's events together.
        #expect(seen.map(\.eventID) == appended.flatMap { $0 })
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.cursor < $1.cursor })
        for stream in ["s-0", "s-1"] {
            let versions = seen.filter { $0.streamID.rawValue == stream }.map(\.streamVersion)
            #expect(versions == Array(1...versions.count))
        }
        #expect(try await store.readLog(after: seen[4].cursor, limit: 100).events.map(\.eventID) == seen.dropFirst(5).map(\.eventID))
        #expect(try await store.readLog(after: nil, limit: 0).events.isEmpty)
    }

    static func readsTheLogUpToNow(_ store: some EventStore) async throws {
        let before = try await store.logHorizon()
        #expect(before.stableBelow <= before.nextTransactionID)
        try await store.append(append("a", .noStream, [event(), event()]))
        try await store.append(append("b", .noStream, [event()]))
        let after = try await store.logHorizon()
        #expect(after.nextTransactionID > before.nextTransactionID)
        // Everything committed before LogCatchUp started is read, each event once.
        let log = try await wholeLog(store, pageSize: 1)
        #expect(log.map(\.streamID) == ["a", "a", "b"])
        #expect(log.allSatisfy { $0.cursor.transactionID < after.nextTransactionID })
        let settled = try await store.logHorizon()
        #expect(log.allSatisfy { $0.cursor.transactionID < settled.stableBelow })
    }

    static func listsStreamsInNameOrder(_ store: some EventStore) async throws {
        for name in ["campaign-b", "campaign-a", "clock-utc", "Campaign-Z", "campaign-a2"] {
            try await store.append(append(StreamID(name), .noStream, [event()]))
        }
        try await store.append(append("campaign-a", .exactly(1), [event(), event()]))
        let all = try await store.listStreams(after: nil, limit: 100)
        // Byte order: upper case before lower case.
        #expect(all.map(\.streamID.rawValue) == ["Campaign-Z", "campaign-a", "campaign-a2", "campaign-b", "clock-utc"])
        #expect(all.map(\.version) == [1, 3, 1, 1, 1])
        let page = try await store.listStreams(after: "campaign-a", limit: 2)
        #expect(page == [StreamHead(streamID: "campaign-a2", version: 1), StreamHead(streamID: "campaign-b", version: 1)])
        #expect(try await store.listStreams(after: "clock-utc", limit: 10).isEmpty)
        #expect(try await store.listStreams(after: nil, limit: 0).isEmpty)
    }

    static func landsConcurrentAppendsOnSharedStreams(_ store: some EventStore) async throws {
        let writers = 6
        let appendsPerWriter = 20
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in 0..<appendsPerWriter {
                        // Each writer's own stream at exactly its version, plus a stream shared by all.
                        let own: ExpectedVersion = index == 0 ? .noStream : .exactly(index)
                        var streams = [StreamAppend(streamID: StreamID("writer-\(writer)"), expectedVersion: own, events: [event()])]
                        if index % 3 == 0 {
                            streams.append(StreamAppend(streamID: StreamID("shared-\(index % 2)"), expectedVersion: .any, events: [event()]))
                        }
                        try await store.append(AppendRequest(commandID: UUID().uuidString, streams: streams, metadata: metadata))
                    }
                }
            }
            try await group.waitForAll()
        }
        let shared = (0..<appendsPerWriter).filter { $0 % 3 == 0 }
        #expect(try await store.streamVersion("shared-0") == writers * shared.filter { $0 % 2 == 0 }.count)
        #expect(try await store.streamVersion("shared-1") == writers * shared.filter { $0 % 2 == 1 }.count)
        let log = try await wholeLog(store, pageSize: 25)
        #expect(log.count == writers * (appendsPerWriter + shared.count))
        #expect(Set(log.map(\.eventID)).count == log.count)
        #expect(try await ChainVerifier(store: store).verify().isIntact)
    }
}
