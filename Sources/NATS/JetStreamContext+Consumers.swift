internal import CNATS

extension JetStreamContext {
    /// Creates a durable consumer (or returns the existing one if its configuration matches).
    public func addConsumer(stream: String, _ config: ConsumerConfiguration) async throws -> ConsumerInfo {
        let subject = "$JS.API.CONSUMER.DURABLE.CREATE.\(stream).\(config.durableName)"
        return try await perform(.jetStreamAPI(stream: stream, subject: subject)) { context in
            try withCArena { arena throws(NATSError) in
                var cConfig = config.cConfig(in: arena)
                var info: UnsafeMutablePointer<jsConsumerInfo>?
                var jsError = jsErrCode(0)
                let status = js_AddConsumer(&info, context, stream, &cConfig, nil, &jsError)
                try check(status, jsError: jsError, while: "adding consumer \(config.durableName) on \(stream)")
                return try Self.adopt(info)
            }
        }
    }

    /// `.consumerNotFound` (or `.streamNotFound`) when it does not exist.
    public func consumerInfo(stream: String, name: String) async throws -> ConsumerInfo {
        try await perform(.jetStreamAPI(stream: stream, subject: "$JS.API.CONSUMER.INFO.\(stream).\(name)")) { context in
            var info: UnsafeMutablePointer<jsConsumerInfo>?
            var jsError = jsErrCode(0)
            let status = js_GetConsumerInfo(&info, context, stream, name, nil, &jsError)
            try check(status, jsError: jsError, while: "reading consumer \(name) on \(stream)")
            return try Self.adopt(info)
        }
    }

    public func deleteConsumer(stream: String, name: String) async throws {
        try await perform(.jetStreamAPI(stream: stream, subject: "$JS.API.CONSUMER.DELETE.\(stream).\(name)")) { context in
            var jsError = jsErrCode(0)
            let status = js_DeleteConsumer(context, stream, name, nil, &jsError)
            try check(status, jsError: jsError, while: "deleting consumer \(name) on \(stream)")
        }
    }

    /// Binds to an existing durable pull consumer (create it with `addConsumer` first).
    /// Closing the subscription leaves the consumer on the server.
    public func pullSubscribe(stream: String, consumer: String) async throws -> PullSubscription {
        let match = ViolationMatch.jetStreamAPI(stream: stream, subject: "$JS.API.CONSUMER.INFO.\(stream).\(consumer)")
        let subscription = try await perform(match) { context in
            try withCArena { arena throws(NATSError) in
                var options = jsSubOptions()
                jsSubOptions_Init(&options)
                options.Stream = arena.string(stream)
                options.Consumer = arena.string(consumer)
                var subscription: OpaquePointer?
                var jsError = jsErrCode(0)
                let status = js_PullSubscribe(&subscription, context, nil, consumer, nil, &options, &jsError)
                try check(status, jsError: jsError, while: "binding to consumer \(consumer) on \(stream)")
                guard let subscription else { throw NATSError(code: .other, message: "js_PullSubscribe returned nothing") }
                return Transfer(value: subscription)
            }
        }
        let handle = StoppableHandle.subscription(adopting: subscription.value)
        connection.stopOnClose(handle)
        return PullSubscription(stream: stream, consumer: consumer, handle: handle, connection: connection)
    }

    /// Replays `stream` from `startSequence` in order, without acks, through an ephemeral
    /// ordered consumer that libnats recreates by itself after gaps or reconnects.
    public func orderedConsumer(
        stream: String,
        filterSubject: String? = nil,
        startSequence: UInt64
    ) async throws -> OrderedConsumer {
        let subscription = try await perform(.jetStreamAPI(stream: stream)) { context in
            try withCArena { arena throws(NATSError) in
                var options = jsSubOptions()
                // Never zero-initialised: an ordered consumer fails unless the policies are -1.
                jsSubOptions_Init(&options)
                options.Stream = arena.string(stream)
                options.Ordered = true
                options.Config.DeliverPolicy = js_DeliverByStartSequence
                options.Config.OptStartSeq = max(1, startSequence)
                var subscription: OpaquePointer?
                var jsError = jsErrCode(0)
                // libnats needs a subject even when the stream is named; ">" filters nothing.
                let status = js_SubscribeSync(&subscription, context, filterSubject ?? ">", nil, &options, &jsError)
                try check(status, jsError: jsError, while: "starting an ordered consumer on \(stream)")
                guard let subscription else { throw NATSError(code: .other, message: "js_SubscribeSync returned nothing") }
                // Replay arrives far faster than one reader takes it; libnats' default limits
                // would call that a slow consumer.
                _ = natsSubscription_SetPendingLimits(subscription, 1_048_576, 512 * 1024 * 1024)
                return Transfer(value: subscription)
            }
        }
        let handle = StoppableHandle.subscription(adopting: subscription.value)
        connection.stopOnClose(handle)
        return OrderedConsumer(stream: stream, handle: handle, connection: connection)
    }

    private static func adopt(_ info: UnsafeMutablePointer<jsConsumerInfo>?) throws(NATSError) -> ConsumerInfo {
        guard let info else { throw NATSError(code: .other, message: "the server returned no consumer info") }
        defer { jsConsumerInfo_Destroy(info) }
        return ConsumerInfo(info)
    }
}
