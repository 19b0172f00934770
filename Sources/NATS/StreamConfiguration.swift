internal import CNATS

/// How a JetStream stream stores messages. `nil` limits mean "unlimited" / "server default".
public struct StreamConfiguration: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case file
        case memory
    }

    public enum Retention: Sendable, Equatable {
        /// Keep messages until a limit removes them.
        case limits
        /// Keep messages while some consumer has not acked them.
        case interest
        /// Remove each message once one consumer acked it.
        case workQueue
    }

    public enum Discard: Sendable, Equatable {
        /// At a limit, delete the oldest messages.
        case old
        /// At a limit, refuse new messages.
        case new
    }

    /// Re-publish each stored message on core NATS, e.g. for subscribers without JetStream rights.
    public struct RePublish: Sendable, Equatable {
        /// Which stored subjects to re-publish (a subset of the stream's subjects).
        public var source: String
        /// Where, with wildcards mapped from `source`.
        public var destination: String
        public var headersOnly: Bool

        public init(source: String, destination: String, headersOnly: Bool = false) {
            self.source = source
            self.destination = destination
            self.headersOnly = headersOnly
        }
    }

    public var name: String
    /// Empty means the server's default: the stream name itself.
    public var subjects: [String]
    public var storage: Storage
    public var retention: Retention
    public var discard: Discard
    public var maxMessages: Int64?
    public var maxBytes: Int64?
    public var maxAge: Duration?
    public var maxMessagesPerSubject: Int64?
    /// How long `Nats-Msg-Id`s are remembered for deduplication; `nil` is the server's 2 min.
    public var duplicateWindow: Duration?
    public var denyDelete: Bool
    public var denyPurge: Bool
    public var allowDirect: Bool
    public var rePublish: RePublish?
    public var replicas: Int

    public init(
        name: String,
        subjects: [String] = [],
        storage: Storage = .file,
        retention: Retention = .limits,
        discard: Discard = .old,
        maxMessages: Int64? = nil,
        maxBytes: Int64? = nil,
        maxAge: Duration? = nil,
        maxMessagesPerSubject: Int64? = nil,
        duplicateWindow: Duration? = nil,
        denyDelete: Bool = false,
        denyPurge: Bool = false,
        allowDirect: Bool = false,
        rePublish: RePublish? = nil,
        replicas: Int = 1
    ) {
        self.name = name
        self.subjects = subjects
        self.storage = storage
        self.retention = retention
        self.discard = discard
        self.maxMessages = maxMessages
        self.maxBytes = maxBytes
        self.maxAge = maxAge
        self.maxMessagesPerSubject = maxMessagesPerSubject
        self.duplicateWindow = duplicateWindow
        self.denyDelete = denyDelete
        self.denyPurge = denyPurge
        self.allowDirect = allowDirect
        self.rePublish = rePublish
        self.replicas = replicas
    }
}

extension StreamConfiguration {
    /// The C struct, with its strings in `arena`.
    func cConfig(in arena: CArena) -> jsStreamConfig {
        var config = jsStreamConfig()
        jsStreamConfig_Init(&config)
        config.Name = arena.string(name)
        if !subjects.isEmpty {
            config.Subjects = arena.strings(subjects)
            config.SubjectsLen = Int32(subjects.count)
        }
        config.Storage = storage == .memory ? js_MemoryStorage : js_FileStorage
        switch retention {
        case .limits: config.Retention = js_LimitsPolicy
        case .interest: config.Retention = js_InterestPolicy
        case .workQueue: config.Retention = js_WorkQueuePolicy
        }
        config.Discard = discard == .new ? js_DiscardNew : js_DiscardOld
        config.MaxMsgs = maxMessages ?? -1
        config.MaxBytes = maxBytes ?? -1
        config.MaxAge = maxAge?.clampedNanoseconds ?? 0
        config.MaxMsgsPerSubject = maxMessagesPerSubject ?? -1
        config.Duplicates = duplicateWindow?.clampedNanoseconds ?? 0
        config.DenyDelete = denyDelete
        config.DenyPurge = denyPurge
        config.AllowDirect = allowDirect
        config.Replicas = Int64(replicas)
        if let rePublish {
            config.RePublish = arena.value(
                jsRePublish(
                    Source: arena.string(rePublish.source),
                    Destination: arena.string(rePublish.destination),
                    HeadersOnly: rePublish.headersOnly
                )
            )
        }
        return config
    }

    init(_ config: jsStreamConfig) {
        let subjects = (0..<Int(config.SubjectsLen)).compactMap { index in
            optionalString(config.Subjects?[index])
        }
        self.init(
            name: optionalString(config.Name) ?? "",
            subjects: subjects,
            storage: config.Storage == js_MemoryStorage ? .memory : .file,
            retention: config.Retention == js_InterestPolicy
                ? .interest : config.Retention == js_WorkQueuePolicy ? .workQueue : .limits,
            discard: config.Discard == js_DiscardNew ? .new : .old,
            maxMessages: config.MaxMsgs < 0 ? nil : config.MaxMsgs,
            maxBytes: config.MaxBytes < 0 ? nil : config.MaxBytes,
            maxAge: config.MaxAge <= 0 ? nil : .nanoseconds(config.MaxAge),
            maxMessagesPerSubject: config.MaxMsgsPerSubject < 0 ? nil : config.MaxMsgsPerSubject,
            duplicateWindow: config.Duplicates <= 0 ? nil : .nanoseconds(config.Duplicates),
            denyDelete: config.DenyDelete,
            denyPurge: config.DenyPurge,
            allowDirect: config.AllowDirect,
            rePublish: config.RePublish.map {
                RePublish(
                    source: optionalString($0.pointee.Source) ?? "",
                    destination: optionalString($0.pointee.Destination) ?? "",
                    headersOnly: $0.pointee.HeadersOnly
                )
            },
            replicas: Int(config.Replicas)
        )
    }
}
