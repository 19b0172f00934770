internal import CNATS
import Synchronization

/// A libnats handle on its way from the thread pool thread that created it to the Swift
/// object that will own it.
///
/// `@unchecked Sendable`: `OpaquePointer` is not `Sendable`. The value is only moved, never
/// shared: the closure that creates the handle returns it, and exactly one owner adopts it.
struct Transfer<Value>: @unchecked Sendable {
    let value: Value
}

/// Something a closing connection must stop before draining: a synchronous subscription or
/// a watcher, whose unread messages would otherwise hold up the drain until its timeout.
protocol ShutdownStoppable: AnyObject, Sendable {
    func stopForShutdown()
}

final class WeakStoppable: Sendable {
    weak let value: (any ShutdownStoppable)?

    init(_ value: any ShutdownStoppable) {
        self.value = value
    }
}

/// Owns a libnats handle that its owner, or a closing connection, may stop early and that is
/// destroyed once: a `natsSubscription*` (core, pull or ordered) or a `kvWatcher*`.
///
/// `@unchecked Sendable`: libnats locks every operation on a subscription or watcher
/// internally, so the pointer may be used from any thread; stopping from another thread is
/// exactly how a blocked `NextMsg`, `Fetch` or `kvWatcher_Next` is woken. The pointer never
/// changes, and the destroy function runs once, in `deinit`, when no Swift code can reach it.
/// Messages that still need their subscription to ack keep this object alive.
final class StoppableHandle: ShutdownStoppable, @unchecked Sendable {
    let raw: OpaquePointer
    private let stopFunction: @convention(c) (OpaquePointer?) -> natsStatus
    private let destroyFunction: @convention(c) (OpaquePointer?) -> Void
    private let stopped = Atomic<Bool>(false)
    private let stoppedByClose = Atomic<Bool>(false)

    private init(
        adopting raw: OpaquePointer,
        stop: @escaping @convention(c) (OpaquePointer?) -> natsStatus,
        destroy: @escaping @convention(c) (OpaquePointer?) -> Void
    ) {
        self.raw = raw
        stopFunction = stop
        destroyFunction = destroy
    }

    /// A subscription; stopping it unsubscribes, which keeps a durable consumer on the server
    /// and deletes an ephemeral (ordered) one.
    static func subscription(adopting raw: OpaquePointer) -> StoppableHandle {
        StoppableHandle(adopting: raw, stop: natsSubscription_Unsubscribe, destroy: natsSubscription_Destroy)
    }

    static func watcher(adopting raw: OpaquePointer) -> StoppableHandle {
        StoppableHandle(adopting: raw, stop: kvWatcher_Stop, destroy: kvWatcher_Destroy)
    }

    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = stopFunction(raw)
    }

    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Stopped because the connection is closing, rather than by its owner.
    var wasStoppedByClose: Bool { stoppedByClose.load(ordering: .acquiring) }

    func stopForShutdown() {
        stoppedByClose.store(true, ordering: .releasing)
        stop()
    }

    deinit {
        destroyFunction(raw)
    }
}

/// Owns a `jsCtx*` and the tracker its async-publish ack handler writes to.
///
/// `@unchecked Sendable`: a `jsCtx` guards its state with its own mutex and is meant to be
/// shared by all threads of a connection. The pointer never changes; `jsCtx_Destroy` runs in
/// `deinit`, after the last `JetStreamContext` using it is gone.
final class JetStreamHandle: @unchecked Sendable {
    let raw: OpaquePointer?
    let creationError: NATSError?
    let options: JetStreamOptions
    let tracker: PublishTracker

    init(connection: OpaquePointer, options: JetStreamOptions, callbacks: ConnectionCallbacks) {
        self.options = options
        let tracker = PublishTracker()
        self.tracker = tracker
        // The ack handler holds the tracker unretained; the connection's callback state keeps
        // it alive until libnats can no longer call the handler.
        callbacks.keepAlive(tracker)

        var cOptions = jsOptions()
        jsOptions_Init(&cOptions)
        cOptions.Wait = options.requestTimeout.timeoutMilliseconds
        cOptions.PublishAsync.MaxPending = Int64(max(1, options.maxPendingAsyncPublishes))
        cOptions.PublishAsync.StallWait = options.publishStallWait.timeoutMilliseconds
        cOptions.PublishAsync.AckHandler = jetStreamPublishAckCallback
        cOptions.PublishAsync.AckHandlerClosure = Unmanaged.passUnretained(tracker).toOpaque()

        var context: OpaquePointer?
        let status = natsConnection_JetStream(&context, connection, &cOptions)
        if status == NATS_OK, let context {
            raw = context
            creationError = nil
        } else {
            raw = nil
            creationError = NATSError(status: status, while: "creating a JetStream context")
        }
    }

    func context() throws(NATSError) -> OpaquePointer {
        if let raw { return raw }
        throw creationError ?? NATSError(code: .other, message: "no JetStream context")
    }

    deinit {
        if let raw { jsCtx_Destroy(raw) }
    }
}

/// Owns a `kvStore*`.
///
/// `@unchecked Sendable`: a `kvStore` is immutable after creation apart from its reference
/// count, which libnats guards; every operation goes through the thread-safe `jsCtx`.
/// `kvStore_Destroy` runs once, in `deinit`.
final class KeyValueHandle: @unchecked Sendable {
    let raw: OpaquePointer

    init(adopting raw: OpaquePointer) {
        self.raw = raw
    }

    deinit {
        kvStore_Destroy(raw)
    }
}
