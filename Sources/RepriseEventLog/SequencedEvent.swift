/// An event with its global sequence: its place in the one dense numbering of the whole
/// log (1, 2, 3, …) that the relay assigns in the log's stable order. Event N is message N
/// of the JetStream stream, and projection checkpoints count in the same numbers.
public struct SequencedEvent: Sendable, Equatable {
    public let globalSequence: UInt64
    public let event: RecordedEvent

    public init(globalSequence: UInt64, event: RecordedEvent) {
        self.globalSequence = globalSequence
        self.event = event
    }
}
