internal import CNATS

/// A key-value bucket: a stream `KV_<bucket>` holding the last `history` values per key.
public struct KeyValueConfiguration: Sendable, Equatable {
    public var bucket: String
    /// Values kept per key, 1…64.
    public var history: Int
    /// How long a value lives; bucket-wide on server 2.9. `nil` keeps values forever.
    public var ttl: Duration?
    public var storage: StreamConfiguration.Storage
    public var maxBytes: Int64?
    public var maxValueSize: Int32?
    public var replicas: Int
    /// Also publish every change on core NATS, e.g. `"scores.>"` turns a put of key `a.b`
    /// into a message on `scores.a.b`, for subscribers without key-value rights.
    public var rePublishDestination: String?

    public init(
        bucket: String,
        history: Int = 1,
        ttl: Duration? = nil,
        storage: StreamConfiguration.Storage = .file,
        maxBytes: Int64? = nil,
        maxValueSize: Int32? = nil,
        replicas: Int = 1,
        rePublishDestination: String? = nil
    ) {
        self.bucket = bucket
        self.history = history
        self.ttl = ttl
        self.storage = storage
        self.maxBytes = maxBytes
        self.maxValueSize = maxValueSize
        self.replicas = replicas
        self.rePublishDestination = rePublishDestination
    }

    /// The C struct, with its strings in `arena`.
    func cConfig(in arena: CArena) -> kvConfig {
        var config = kvConfig()
        kvConfig_Init(&config)
        config.Bucket = arena.string(bucket)
        config.History = UInt8(clamping: min(max(history, 1), 64))
        config.TTL = ttl?.clampedNanoseconds ?? 0
        config.StorageType = storage == .memory ? js_MemoryStorage : js_FileStorage
        config.MaxBytes = maxBytes ?? -1
        config.MaxValueSize = maxValueSize ?? -1
        config.Replicas = Int32(clamping: replicas)
        if let rePublishDestination {
            // The source must name the bucket's own subjects: with the server's default
            // source ">" the destination would keep the `$KV.<bucket>.` prefix.
            config.RePublish = arena.value(
                jsRePublish(
                    Source: arena.string("$KV.\(bucket).>"),
                    Destination: arena.string(rePublishDestination),
                    HeadersOnly: false
                )
            )
        }
        return config
    }
}
