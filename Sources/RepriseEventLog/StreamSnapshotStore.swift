/// Snapshots of a stream's folded state, so that reading the state of a long stream costs
/// a snapshot and the events after it, not its whole history.
///
/// A snapshot is a cache, never a source of truth: auditors replay the log, and a snapshot
/// that does not decode (another format, a bug) is ignored and the stream replayed. Whoever
/// replays a long tail saves a newer one; an older snapshot never replaces a newer.
public protocol StreamSnapshotStore: Sendable {
    /// The newest snapshot kept for `streamID`, if any.
    func snapshot(of streamID: StreamID) async throws(EventStoreError) -> StreamSnapshot?

    /// Keeps `snapshot`, unless one of the same or a later version is kept already.
    func saveSnapshot(_ snapshot: StreamSnapshot) async throws(EventStoreError)
}

/// A stream's state at a version, in a format its owner decodes.
public struct StreamSnapshot: Sendable, Equatable {
    public var streamID: StreamID
    /// The stream version the state reflects: the events after it are the tail to apply.
    public var version: Int
    /// The owner's encoding version: a snapshot in another format is ignored.
    public var format: Int
    public var state: [UInt8]

    public init(streamID: StreamID, version: Int, format: Int, state: [UInt8]) {
        self.streamID = streamID
        self.version = version
        self.format = format
        self.state = state
    }
}
