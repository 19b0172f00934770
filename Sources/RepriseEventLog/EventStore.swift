/// The port every part of Reprise uses to write and read the event log.
///
/// The PostgreSQL adapter (`PostgresEventStore`) is the real one; `InMemoryEventStore`
/// serves pure-logic tests and must behave the same (both run the same conformance tests).
public protocol EventStore: Sendable {
    /// Appends the events of one command atomically: all streams, all events, or nothing.
    ///
    /// Idempotent by `AppendRequest.commandID`: a retry returns the first result with
    /// `isDuplicate == true` and appends nothing.
    @discardableResult
    func append(_ request: AppendRequest) async throws(EventStoreError) -> AppendResult

    /// Events of one stream in version order, starting at `version` (inclusive),
    /// forward or backward, at most `limit`.
    func readStream(
        _ streamID: StreamID, from version: StreamPosition, direction: ReadDirection, limit: Int
    ) async throws(EventStoreError) -> [RecordedEvent]

    /// The next page of the whole log in its one stable total order, after `cursor`
    /// (nil: from the beginning). Only events that can never be preceded by another one
    /// are returned, so a follower that pages with the returned cursor sees every
    /// committed event exactly once, whatever the commit order of concurrent writers.
    func readLog(after cursor: LogCursor?, limit: Int) async throws(EventStoreError) -> LogPage

    /// Where the stable prefix of the log ends right now. Events of transactions below
    /// `stableBelow` are final; everything committed before this call has a transaction id
    /// below `nextTransactionID`.
    func logHorizon() async throws(EventStoreError) -> LogHorizon

    /// The stream's current version, or nil when the stream does not exist.
    func streamVersion(_ streamID: StreamID) async throws(EventStoreError) -> Int?

    /// Streams and their versions in name order, after `streamID` (nil: from the first).
    func listStreams(after streamID: StreamID?, limit: Int) async throws(EventStoreError) -> [StreamHead]

    /// The result of the command's append, when a command with this id was appended.
    func appendResult(forCommand commandID: String) async throws(EventStoreError) -> AppendResult?
}

/// The visibility horizon of the log at one moment.
public struct LogHorizon: Sendable, Hashable {
    public let stableBelow: UInt64
    public let nextTransactionID: UInt64

    public init(stableBelow: UInt64, nextTransactionID: UInt64) {
        self.stableBelow = stableBelow
        self.nextTransactionID = nextTransactionID
    }
}

/// A stream's name and current version.
public struct StreamHead: Sendable, Hashable {
    public let streamID: StreamID
    public let version: Int

    public init(streamID: StreamID, version: Int) {
        self.streamID = streamID
        self.version = version
    }
}

/// Forward reads go up in version, backward reads go down.
public enum ReadDirection: Sendable, Equatable {
    case forward
    case backward
}

/// Where a stream read starts.
public enum StreamPosition: Sendable, Equatable {
    case start
    case end
    case version(Int)
}
