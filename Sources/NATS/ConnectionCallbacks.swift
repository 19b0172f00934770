import Logging
import Synchronization

/// The state a connection's C callbacks may touch from libnats threads.
///
/// libnats calls the error, disconnected, reconnected and closed handlers on its own
/// threads with this object as `closure`. Everything here is therefore behind a `Mutex`
/// or an `Atomic`, or is itself `Sendable`.
///
/// Lifetime: `NATSConnection.connect` hands libnats one retained reference. It is given
/// back only when both the closed handler has run (no more connection callbacks can come)
/// and the `natsConnection` has been destroyed. Whichever happens last releases it.
final class ConnectionCallbacks: Sendable {
    let logger: Logger
    let events: AsyncStream<NATSConnectionEvent>
    private let eventContinuation: AsyncStream<NATSConnectionEvent>.Continuation
    private let state = Mutex(State())
    private let teardownSteps = Atomic<Int>(2)
    /// Set when this process closes the connection, so the disconnect that follows is no alarm.
    private let closingIntentionally = Atomic<Bool>(false)

    private struct State {
        var nextViolationSerial: UInt64 = 0
        /// The most recent violations; old ones only matter for calls still waiting.
        var violations: [PermissionViolation] = []
        var subscriptions: [UInt: CoreSubscriptionBridge] = [:]
        var isClosed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        /// Objects whose unretained pointers libnats holds (publish-ack trackers); they must
        /// live as long as this object.
        var keptAlive: [any Sendable & AnyObject] = []
    }

    private static let violationsKept = 256

    init(logger: Logger) {
        self.logger = logger
        (events, eventContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(256))
    }

    var isClosed: Bool { state.withLock { $0.isClosed } }

    // MARK: Called from libnats threads

    func closingOnPurpose() {
        closingIntentionally.store(true, ordering: .releasing)
    }

    func disconnected() {
        if closingIntentionally.load(ordering: .acquiring) {
            logger.debug("nats.connection.disconnected")
        } else {
            logger.warning("nats.connection.disconnected")
        }
        eventContinuation.yield(.disconnected)
    }

    func reconnected() {
        logger.info("nats.connection.reconnected")
        eventContinuation.yield(.reconnected)
    }

    func closed() {
        logger.debug("nats.connection.closed")
        let waiters = state.withLock { state in
            state.isClosed = true
            defer { state.closeWaiters = [] }
            return state.closeWaiters
        }
        for waiter in waiters { waiter.resume() }
        eventContinuation.yield(.closed)
        eventContinuation.finish()
        releaseOneTeardownStep()
    }

    /// An asynchronous error: a permissions violation (`text` holds the server's words), a
    /// slow consumer on `subscriptionID`, or something else libnats noticed.
    func asyncError(code: NATSError.Code, statusText: String, subscriptionID: UInt?, text: String?) {
        if code == .permissionDenied, let text {
            recordViolation(text: text)
            return
        }
        var error = NATSError(code: code, message: text ?? statusText, natsStatusText: statusText)
        if code == .slowConsumer, let subscriptionID {
            let bridge = state.withLock { $0.subscriptions[subscriptionID] }
            error.subject = bridge?.subject
            bridge?.slowConsumer()
        }
        logger.warning(
            "nats.connection.async_error",
            metadata: ["nats.error": "\(error)", "nats.subject": "\(error.subject ?? "")"]
        )
        eventContinuation.yield(.error(error))
    }

    private func recordViolation(text: String) {
        let (violation, denied) = state.withLock { state -> (PermissionViolation?, [CoreSubscriptionBridge]) in
            state.nextViolationSerial += 1
            let serial = state.nextViolationSerial
            // libnats 3.4.1 hands the handler no text; it is read from the connection's last
            // error, which a second violation arriving first overwrites. The same text twice in
            // a row therefore means one violation's subject was lost.
            let lost = state.violations.last?.text == text
            guard let parsed = PermissionViolation(text: text, serial: serial) else { return (nil, []) }
            let violation = lost ? PermissionViolation.unknown(serial: serial) : parsed
            state.violations.append(violation)
            if state.violations.count > Self.violationsKept {
                state.violations.removeFirst(state.violations.count - Self.violationsKept)
            }
            guard violation.operation == .subscribe else { return (violation, []) }
            return (violation, state.subscriptions.values.filter { $0.subject == violation.subject })
        }
        let error = violation.map(NATSError.permissionDenied)
            ?? NATSError(code: .permissionDenied, message: "permission denied: \(text)", natsStatusText: "Not Permitted")
        logger.warning(
            "nats.connection.permission_denied",
            metadata: ["nats.subject": "\(violation?.subject ?? "")", "nats.error": "\(text)"]
        )
        for bridge in denied { bridge.fail(error) }
        eventContinuation.yield(.error(error))
    }

    // MARK: Called from Swift

    /// A mark to pass to `violation(since:matching:)` after a call fails.
    func violationMark() -> UInt64 {
        state.withLock { $0.nextViolationSerial }
    }

    /// The violation recorded after `mark` that best explains a failure described by
    /// `match`: an exact match first, then the latest related one.
    func violation(since mark: UInt64, matching match: ViolationMatch) -> PermissionViolation? {
        state.withLock { state in
            var best: (score: Int, violation: PermissionViolation)?
            for violation in state.violations where violation.serial > mark {
                let score = match.score(violation)
                if score > 0, score >= (best?.score ?? 0) { best = (score, violation) }
            }
            return best?.violation
        }
    }

    func register(_ bridge: CoreSubscriptionBridge, id: UInt) {
        state.withLock { $0.subscriptions[id] = bridge }
    }

    func unregister(_ bridge: CoreSubscriptionBridge) {
        state.withLock { state in
            state.subscriptions = state.subscriptions.filter { $0.value !== bridge }
        }
    }

    func keepAlive(_ object: any Sendable & AnyObject) {
        state.withLock { $0.keptAlive.append(object) }
    }

    func waitUntilClosed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyClosed = state.withLock { state in
                if state.isClosed { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if alreadyClosed { continuation.resume() }
        }
    }

    /// Gives back libnats' reference once both the closed handler ran and the handle is gone.
    func releaseOneTeardownStep() {
        let (_, remaining) = teardownSteps.subtract(1, ordering: .acquiringAndReleasing)
        if remaining == 0 {
            Unmanaged.passUnretained(self).release()
        }
    }
}
