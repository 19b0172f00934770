internal import CNATS
import Synchronization

/// What a key-value watch reports.
public enum KeyValueWatchEvent: Sendable, Equatable {
    case entry(KeyValueEntry)
    /// Every value that existed when the watch started has been delivered; what follows are
    /// live changes. Sent exactly once, also for an empty bucket.
    case initialValuesDone
}

/// A running key-value watch, as an `AsyncSequence`.
///
/// Iteration ends when the task is cancelled or `stop()` is called, and throws
/// `.connectionClosed` if the connection closes first. Iterate it once.
public final class KeyValueWatch: AsyncSequence, Sendable {
    public typealias Element = KeyValueWatchEvent

    public let bucket: String
    private let handle: StoppableHandle
    private let connection: NATSConnection
    private let initialValuesDone = Atomic<Bool>(false)

    /// How long one blocking wait lasts; cancellation is noticed between waits.
    static let waitSlice: Duration = .milliseconds(200)

    init(bucket: String, handle: StoppableHandle, connection: NATSConnection) {
        self.bucket = bucket
        self.handle = handle
        self.connection = connection
    }

    public func stop() {
        handle.stop()
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(watch: self)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let watch: KeyValueWatch

        public mutating func next() async throws -> KeyValueWatchEvent? {
            while true {
                guard !Task.isCancelled else { return nil }
                if watch.handle.isStopped {
                    if watch.handle.wasStoppedByClose { throw NATSError.connectionClosed() }
                    return nil
                }
                let event: KeyValueWatchEvent?
                do {
                    event = try await watch.nextEvent()
                } catch is CancellationError {
                    return nil
                }
                if let event { return event }
            }
        }
    }

    /// One blocking wait on the thread pool; `nil` when nothing came within the slice.
    private func nextEvent() async throws -> KeyValueWatchEvent? {
        let handle = handle
        let bucket = bucket
        let result = try await connection.runBlocking { () -> Transfer<KeyValueEntry?>? in
            var entry: OpaquePointer?
            let status = kvWatcher_Next(&entry, handle.raw, Self.waitSlice.timeoutMilliseconds)
            switch status {
            case NATS_OK:
                guard let entry else { return Transfer(value: nil) }
                defer { kvEntry_Destroy(entry) }
                return Transfer(value: KeyValueEntry(copying: entry))
            case NATS_TIMEOUT:
                return nil
            default:
                if handle.isStopped { return nil }
                try check(status, domain: .keyValue, while: "watching bucket \(bucket)")
                return nil
            }
        }
        guard let result else { return nil }
        if let entry = result.value { return .entry(entry) }
        // libnats marks the end of the initial values with a NULL entry. Only the first
        // one counts, so the marker is reported exactly once.
        guard !initialValuesDone.exchange(true, ordering: .acquiringAndReleasing) else { return nil }
        return .initialValuesDone
    }
}
