internal import CNATS

// Every C callback libnats calls, in one place.
//
// They are named, nonisolated top-level functions on purpose: a closure literal formed in an
// actor-isolated context would carry that isolation, and Swift's runtime check would crash
// when libnats calls it on its own thread. Each one recovers its Swift context from the
// `closure` pointer without retaining it and touches only `Sendable` state.

// MARK: - Connection

nonisolated func natsAsyncErrorCallback(
    _ connection: OpaquePointer?,
    _ subscription: OpaquePointer?,
    _ status: natsStatus,
    _ closure: UnsafeMutableRawPointer?
) {
    guard let closure else { return }
    let callbacks = Unmanaged<ConnectionCallbacks>.fromOpaque(closure).takeUnretainedValue()
    var text: String?
    if status == NATS_NOT_PERMITTED, let connection {
        // libnats 3.4.1 passes no text to the handler; the connection keeps the server's line
        // ("Permissions Violation for Publish to ...") as its last error.
        var lastError: UnsafePointer<CChar>?
        _ = natsConnection_GetLastError(connection, &lastError)
        text = optionalString(lastError)
    }
    callbacks.asyncError(
        code: NATSError.code(status: status, jetStreamCode: nil, text: text ?? "", domain: .general),
        statusText: String(cString: natsStatus_GetText(status)),
        subscriptionID: subscription.map { UInt(bitPattern: $0) },
        text: text
    )
}

nonisolated func natsDisconnectedCallback(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    guard let closure else { return }
    Unmanaged<ConnectionCallbacks>.fromOpaque(closure).takeUnretainedValue().disconnected()
}

nonisolated func natsReconnectedCallback(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    guard let closure else { return }
    Unmanaged<ConnectionCallbacks>.fromOpaque(closure).takeUnretainedValue().reconnected()
}

nonisolated func natsClosedCallback(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    guard let closure else { return }
    // May release libnats' reference; the local strong reference keeps the object alive
    // until this call returns.
    Unmanaged<ConnectionCallbacks>.fromOpaque(closure).takeUnretainedValue().closed()
}

// MARK: - Core subscriptions

nonisolated func coreMessageCallback(
    _ connection: OpaquePointer?,
    _ subscription: OpaquePointer?,
    _ message: OpaquePointer?,
    _ closure: UnsafeMutableRawPointer?
) {
    guard let message else { return }
    defer { natsMsg_Destroy(message) }
    guard let closure else { return }
    let bridge = Unmanaged<CoreSubscriptionBridge>.fromOpaque(closure).takeUnretainedValue()
    bridge.deliver(NATSMessage(copying: message))
}

/// libnats' last call for a subscription: the message callback has returned for good.
nonisolated func coreSubscriptionCompleteCallback(_ closure: UnsafeMutableRawPointer?) {
    guard let closure else { return }
    let bridge = Unmanaged<CoreSubscriptionBridge>.fromOpaque(closure).takeRetainedValue()
    bridge.complete()
}

// MARK: - JetStream

/// Called once per async publish with either its ack or its failure. The message is ours to
/// destroy (that is the contract when an ack handler is set).
nonisolated func jetStreamPublishAckCallback(
    _ context: OpaquePointer?,
    _ message: OpaquePointer?,
    _ ack: UnsafeMutablePointer<jsPubAck>?,
    _ failure: UnsafeMutablePointer<jsPubAckErr>?,
    _ closure: UnsafeMutableRawPointer?
) {
    guard let message else { return }
    // The tracker forgets the message before it is freed, so a new message at the same
    // address cannot be confused with it.
    defer { natsMsg_Destroy(message) }
    guard let closure else { return }
    let tracker = Unmanaged<PublishTracker>.fromOpaque(closure).takeUnretainedValue()
    let key = UInt(bitPattern: message)
    if let ack {
        tracker.acknowledged(
            key,
            stream: optionalString(ack.pointee.Stream) ?? "",
            sequence: ack.pointee.Sequence,
            duplicate: ack.pointee.Duplicate
        )
    } else if let failure {
        let code = failure.pointee.ErrCode.rawValue
        let error = NATSError(
            reportedStatus: failure.pointee.Err,
            jetStreamErrorCode: code == 0 ? nil : Int(code),
            text: optionalString(failure.pointee.ErrText)
        )
        tracker.failed(key, error: error)
    } else {
        tracker.failed(key, error: NATSError(code: .other, message: "publish finished without ack or error"))
    }
}
