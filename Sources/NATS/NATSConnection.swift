internal import CNATS
import Logging
import NIOPosix
internal import RepriseSettings
import Synchronization

/// A connection to a NATS server: core publish and subscribe, and the way into JetStream.
///
/// `@unchecked Sendable`: the `natsConnection*` is thread-safe (libnats locks it for every
/// operation and is designed to share one connection between threads). The pointer is set
/// once and `natsConnection_Destroy` runs only in `deinit`, when nothing else can reach it;
/// `close()` merely closes it, after which libnats fails every call cleanly. All mutable
/// Swift state is behind a `Mutex`.
public final class NATSConnection: @unchecked Sendable {
    let raw: OpaquePointer
    let logger: Logger
    let callbacks: ConnectionCallbacks
    /// Every blocking libnats call runs here, never on Swift's cooperative pool.
    let threadPool: NIOThreadPool
    private let lifecycle = Mutex(Lifecycle.open)
    private let jetStreamHandles = Mutex<[JetStreamOptions: JetStreamHandle]>([:])
    private let stoppables = Mutex<[WeakStoppable]>([])
    /// Fired when the connection, run as a `Service`, is asked to shut down.
    let shutdownSignal = ShutdownSignal()

    private enum Lifecycle {
        case open
        case closing(waiters: [CheckedContinuation<Void, Never>])
        case closed
    }

    private init(raw: OpaquePointer, logger: Logger, callbacks: ConnectionCallbacks, threadPool: NIOThreadPool) {
        self.raw = raw
        self.logger = logger
        self.callbacks = callbacks
        self.threadPool = threadPool
    }

    deinit {
        natsConnection_Destroy(raw)
        let poolStopped = lifecycle.withLock { state in
            if case .closed = state { return true }
            return false
        }
        if !poolStopped {
            threadPool.shutdownGracefully { _ in }
        }
        callbacks.releaseOneTeardownStep()
    }

    /// Connects, or throws `.connectionFailed` / `.authenticationFailed`.
    ///
    /// - Parameters:
    ///   - url: one URL or a comma-separated list, credentials inline
    ///     (`nats://user:password@host:4222`). Passwords never appear in logs or errors.
    ///   - name: the client name the server shows in its monitoring.
    public static func connect(
        url: String,
        name: String,
        logger: Logger,
        options: NATSConnectionOptions = .init()
    ) async throws -> NATSConnection {
        try NATSLibrary.open()
        var logger = logger
        logger[metadataKey: "nats.connection"] = "\(name)"
        let threadPool = NIOThreadPool(numberOfThreads: max(1, options.blockingThreads))
        threadPool.start()
        let callbacks = ConnectionCallbacks(logger: logger)
        // libnats' reference; see `ConnectionCallbacks` for when it is given back.
        _ = Unmanaged.passRetained(callbacks)
        do {
            let connection = try await threadPool.runIfActive {
                try Transfer(value: makeConnection(url: url, name: name, options: options, callbacks: callbacks))
            }
            logger.info("nats.connection.connected", metadata: ["nats.url": "\(Redaction.redact(url))"])
            return NATSConnection(raw: connection.value, logger: logger, callbacks: callbacks, threadPool: threadPool)
        } catch {
            // No handle exists, so that step is done. libnats does not run the closed handler
            // for a connect that failed, so libnats' reference is deliberately left in place
            // rather than risk a handler running on a freed object.
            callbacks.releaseOneTeardownStep()
            try? await threadPool.shutdownGracefully()
            logger.warning(
                "nats.connection.connect_failed",
                metadata: ["nats.url": "\(Redaction.redact(url))", "nats.error": "\(error)"]
            )
            throw error
        }
    }

    private static func makeConnection(
        url: String,
        name: String,
        options: NATSConnectionOptions,
        callbacks: ConnectionCallbacks
    ) throws(NATSError) -> OpaquePointer {
        var natsOptions: OpaquePointer?
        try check(natsOptions_Create(&natsOptions), while: "creating connection options")
        defer { natsOptions_Destroy(natsOptions) }
        let closure = Unmanaged.passUnretained(callbacks).toOpaque()
        try check(natsOptions_SetURL(natsOptions, url), while: "setting the URL \(Redaction.redact(url))")
        try check(natsOptions_SetName(natsOptions, name))
        try check(natsOptions_SetMaxReconnect(natsOptions, Int32(clamping: options.maxReconnectAttempts)))
        try check(natsOptions_SetReconnectWait(natsOptions, options.reconnectWait.timeoutMilliseconds))
        try check(natsOptions_SetTimeout(natsOptions, options.connectTimeout.timeoutMilliseconds))
        if options.retryOnFailedConnect {
            try check(natsOptions_SetRetryOnFailedConnect(natsOptions, true, nil, nil))
        }
        if let inboxPrefix = options.inboxPrefix ?? NATSConnectionOptions.inboxPrefix(forURL: url) {
            try check(natsOptions_SetCustomInboxPrefix(natsOptions, inboxPrefix), while: "setting the inbox prefix \(inboxPrefix)")
        }
        try check(natsOptions_SetErrorHandler(natsOptions, natsAsyncErrorCallback, closure))
        try check(natsOptions_SetDisconnectedCB(natsOptions, natsDisconnectedCallback, closure))
        try check(natsOptions_SetReconnectedCB(natsOptions, natsReconnectedCallback, closure))
        try check(natsOptions_SetClosedCB(natsOptions, natsClosedCallback, closure))

        var connection: OpaquePointer?
        try check(natsConnection_Connect(&connection, natsOptions), while: "connecting to \(Redaction.redact(url))")
        guard let connection else {
            throw NATSError(code: .connectionFailed, message: "natsConnection_Connect returned no connection")
        }
        return connection
    }

    /// Connection events: disconnects, reconnects, the final close, asynchronous errors.
    /// One consumer only; it finishes after `.closed`.
    public var events: AsyncStream<NATSConnectionEvent> { callbacks.events }

    /// True once `close()` started or libnats closed the connection for good.
    public var isClosed: Bool {
        let open = lifecycle.withLock { state in
            if case .open = state { return true }
            return false
        }
        return !open || callbacks.isClosed
    }

    /// A JetStream context; `.connectionClosed` once the connection is closed. Contexts are
    /// cached per options, so asking again is cheap and async publishes made through either
    /// share one tracker.
    public func jetStream(options: JetStreamOptions = .init()) throws -> JetStreamContext {
        guard !isClosed else { throw NATSError.connectionClosed() }
        let handle = jetStreamHandles.withLock { handles in
            if let existing = handles[options] { return existing }
            let handle = JetStreamHandle(connection: raw, options: options, callbacks: callbacks)
            handles[options] = handle
            return handle
        }
        _ = try handle.context()
        return JetStreamContext(connection: self, handle: handle)
    }

    // MARK: - Blocking calls

    /// Runs a blocking libnats call on the connection's thread pool.
    func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard !isClosed else { throw NATSError.connectionClosed() }
        return try await runOnPool(body)
    }

    /// Like `runBlocking`, but also while closing (for the close sequence itself and for
    /// calls already under way).
    func runOnPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await threadPool.runIfActive(body)
        } catch is CancellationError where isClosed {
            // The pool refuses work once shut down and reports it as cancellation.
            throw NATSError.connectionClosed()
        }
    }

    /// Runs `body`; when it fails, a permissions violation the server reported meanwhile for a
    /// matching subject replaces the error, because the server answers a denied request with
    /// silence and libnats then reports only a timeout.
    func explainingPermissionDenials<T>(
        _ match: ViolationMatch,
        _ body: () async throws -> T
    ) async throws -> T {
        let mark = callbacks.violationMark()
        do {
            return try await body()
        } catch let error as NATSError where error.code != .permissionDenied {
            if let violation = permissionViolation(since: mark, matching: match) {
                throw NATSError.permissionDenied(violation)
            }
            throw error
        }
    }

    func permissionViolation(since mark: UInt64, matching match: ViolationMatch) -> PermissionViolation? {
        if let violation = callbacks.violation(since: mark, matching: match) {
            return match.explanation(from: violation)
        }
        // The error handler runs on another libnats thread and may not have run yet; the
        // connection keeps the latest error text too.
        var text: UnsafePointer<CChar>?
        guard natsConnection_GetLastError(raw, &text) == NATS_NOT_PERMITTED,
            let text = optionalString(text),
            let violation = PermissionViolation(text: text, serial: .max),
            match.matches(violation)
        else { return nil }
        return match.explanation(from: violation)
    }

    // MARK: - Shutdown

    /// Stops this subscription or watcher before draining when the connection closes.
    func stopOnClose(_ stoppable: any ShutdownStoppable) {
        stoppables.withLock { list in
            list.removeAll { $0.value == nil }
            list.append(WeakStoppable(stoppable))
        }
    }

    /// Closes gracefully: waits for outstanding async JetStream publishes, stops pull and
    /// ordered subscriptions and watchers, drains core subscriptions, closes, and stops the
    /// thread pool. Each phase shares `timeout`. Safe to call more than once and
    /// concurrently; every caller returns once the connection is closed.
    public func drainAndClose(timeout: Duration = .seconds(10)) async {
        enum Action { case run, wait, done }
        let action = lifecycle.withLock { state -> Action in
            switch state {
            case .open:
                state = .closing(waiters: [])
                return .run
            case .closing: return .wait
            case .closed: return .done
            }
        }
        switch action {
        case .done:
            return
        case .wait:
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let closed = lifecycle.withLock { state -> Bool in
                    guard case .closing(var waiters) = state else { return true }
                    waiters.append(continuation)
                    state = .closing(waiters: waiters)
                    return false
                }
                if closed { continuation.resume() }
            }
            return
        case .run:
            break
        }

        let deadline = ContinuousClock.now + timeout
        logger.debug("nats.connection.closing")
        callbacks.closingOnPurpose()
        let handles = jetStreamHandles.withLock { Array($0.values) }
        for handle in handles {
            await waitForPendingPublishes(of: handle, until: deadline)
        }
        let toStop = stoppables.withLock { list in
            defer { list = [] }
            return list.compactMap(\.value)
        }
        for stoppable in toStop { stoppable.stopForShutdown() }
        await drainConnection(until: deadline)
        try? await threadPool.shutdownGracefully()

        let waiters = lifecycle.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state = .closed }
            if case .closing(let waiters) = state { return waiters }
            return []
        }
        for waiter in waiters { waiter.resume() }
        logger.info("nats.connection.closed")
    }

    /// `drainAndClose(timeout: .seconds(10))`.
    public func close() async {
        await drainAndClose(timeout: .seconds(10))
    }

    private func waitForPendingPublishes(of handle: JetStreamHandle, until deadline: ContinuousClock.Instant) async {
        guard handle.raw != nil, !callbacks.isClosed else { return }
        let remaining = max(.milliseconds(1), deadline - .now)
        let completed = try? await runOnPool { () -> Bool in
            var options = jsPubOptions()
            jsPubOptions_Init(&options)
            options.MaxWait = remaining.timeoutMilliseconds
            return js_PublishAsyncComplete(handle.raw, &options) == NATS_OK
        }
        if completed != true {
            logger.warning("nats.connection.close_with_unacknowledged_publishes")
        }
    }

    private func drainConnection(until deadline: ContinuousClock.Instant) async {
        guard !callbacks.isClosed else { return }
        let remaining = max(.milliseconds(1), deadline - .now)
        if natsConnection_DrainTimeout(raw, remaining.timeoutMilliseconds) != NATS_OK {
            await forceClose()
        }
        // The drain closes the connection itself when done or timed out. This guards against
        // a drain that never finishes, and closes at once when the closing task is cancelled.
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.callbacks.waitUntilClosed()
                return true
            }
            group.addTask {
                try? await Task.sleep(until: deadline + .seconds(1))
                return false
            }
            let closedInTime = await group.next() ?? true
            group.cancelAll()
            if !closedInTime { await forceClose() }
        }
    }

    private func forceClose() async {
        do {
            try await runOnPool { natsConnection_Close(self.raw) }
        } catch {
            // The pool refused (the closing task was cancelled): closing matters more than
            // which thread does it, and natsConnection_Close only flushes and signals.
            natsConnection_Close(raw)
        }
    }
}
