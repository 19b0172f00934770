/// The first event that does not verify, and why.
public struct ChainFailure: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// The stored hash is not the hash of the event's content: the event was edited.
        case hashMismatch = "hash_mismatch"
        /// The event does not point at the hash of the stream's previous event.
        case brokenLink = "broken_link"
        /// A stream version is missing or repeated: an event was removed or inserted.
        case versionGap = "version_gap"
        /// The stream's recorded version differs from its last event: events at the end were removed.
        case headMismatch = "head_mismatch"
    }

    public let reason: Reason
    public let streamID: StreamID
    public let streamVersion: Int
    public let event: RecordedEvent?
    public let detail: String

    public var description: String {
        let what = event.map { "event \($0.eventID) (\(streamID) version \(streamVersion))" } ?? "stream \(streamID)"
        return "\(what) does not verify: \(detail)"
    }
}

/// What a verification run looked at, and the first failure if any.
public struct ChainReport: Sendable, Equatable {
    public var eventsChecked = 0
    public var streamsChecked = 0
    public var firstFailure: ChainFailure?
    public var isIntact: Bool { firstFailure == nil }
}

/// Walks the whole log and checks every stream's hash chain, recomputing each hash from
/// the event's stored content (`EventHash`), independently of the database that wrote it.
public struct ChainVerifier: Sendable {
    private let store: any EventStore
    private let pageSize: Int

    public init(store: any EventStore, pageSize: Int = 5_000) {
        self.store = store
        self.pageSize = pageSize
    }

    /// Checks everything committed before the call.
    public func verify() async throws -> ChainReport {
        var report = ChainReport()
        // The log keeps each stream in version order, so one pass with the last hash
        // and version of every stream is enough.
        var heads: [StreamID: (version: Int, hash: [UInt8])] = [:]
        try await LogCatchUp.read(store, pageSize: pageSize) { events in
            for event in events {
                report.eventsChecked += 1
                if let failure = Self.check(event, previous: heads[event.streamID]) {
                    report.firstFailure = failure
                    return .stop
                }
                heads[event.streamID] = (event.streamVersion, event.hash)
            }
            return .more
        }
        guard report.firstFailure == nil else { return report }
        report.streamsChecked = heads.count

        // Events removed from the end of a stream leave no broken link; the stream's
        // recorded head shows them.
        var after: StreamID?
        while true {
            let streams = try await store.listStreams(after: after, limit: pageSize)
            for stream in streams where heads[stream.streamID]?.version != stream.version {
                report.firstFailure = ChainFailure(
                    reason: .headMismatch, streamID: stream.streamID, streamVersion: stream.version, event: nil,
                    detail: "the stream is recorded at version \(stream.version) but its last event is version \(heads[stream.streamID]?.version ?? 0)"
                )
                return report
            }
            guard let last = streams.last else { break }
            after = last.streamID
        }
        return report
    }

    static func check(_ event: RecordedEvent, previous: (version: Int, hash: [UInt8])?) -> ChainFailure? {
        func failure(_ reason: ChainFailure.Reason, _ detail: String) -> ChainFailure {
            ChainFailure(reason: reason, streamID: event.streamID, streamVersion: event.streamVersion, event: event, detail: detail)
        }
        let expectedVersion = (previous?.version ?? 0) + 1
        guard event.streamVersion == expectedVersion else {
            return failure(.versionGap, "expected version \(expectedVersion) next in the stream, found \(event.streamVersion)")
        }
        guard event.previousHash == previous?.hash else {
            return failure(.brokenLink, "its previous hash is not the hash of version \(expectedVersion - 1)")
        }
        guard EventHash.compute(for: event) == event.hash else {
            return failure(.hashMismatch, "its content no longer matches its hash")
        }
        return nil
    }
}
