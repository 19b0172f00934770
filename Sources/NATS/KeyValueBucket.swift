internal import CNATS
import Synchronization

/// A key-value bucket: get, put, compare-and-set, delete and watch keys.
///
/// Keys are made of `[-/_=.a-zA-Z0-9]`; dots separate tokens that `watch` can filter on.
public final class KeyValueBucket: Sendable {
    public let bucket: String
    private let handle: KeyValueHandle
    let connection: NATSConnection
    /// Idle JetStream contexts for `write(_:timeout:)`: each batch takes one of its own, so
    /// that waiting for its acks never waits for (or takes the results of) another batch's
    /// or another user's async publishes, such as the relay's on the shared context.
    let batchContexts = Mutex<[JetStreamHandle]>([])

    init(bucket: String, handle: KeyValueHandle, connection: NATSConnection) {
        self.bucket = bucket
        self.handle = handle
        self.connection = connection
    }

    /// Stores a value; returns its revision.
    @discardableResult
    public func put(key: String, value: [UInt8]) async throws -> UInt64 {
        try await write("putting \(key)", value) { revision, store, bytes, count in
            kvStore_Put(revision, store, key, bytes, count)
        }
    }

    /// Stores a value only if the key has none (or its last operation was a delete);
    /// otherwise throws `.wrongLastRevision`.
    @discardableResult
    public func create(key: String, value: [UInt8]) async throws -> UInt64 {
        try await write("creating \(key)", value) { revision, store, bytes, count in
            kvStore_Create(revision, store, key, bytes, count)
        }
    }

    /// Stores a value only if the key's latest revision is `expectedRevision`; otherwise
    /// throws `.wrongLastRevision`. Returns the new revision.
    @discardableResult
    public func update(key: String, value: [UInt8], expectedRevision: UInt64) async throws -> UInt64 {
        try await write("updating \(key) at revision \(expectedRevision)", value) { revision, store, bytes, count in
            kvStore_Update(revision, store, key, bytes, count, expectedRevision)
        }
    }

    /// The latest value; `nil` when the key was never set or its latest operation is a delete.
    public func get(key: String) async throws -> KeyValueEntry? {
        try await perform { store in
            var entry: OpaquePointer?
            let status = kvStore_Get(&entry, store, key)
            if status == NATS_NOT_FOUND { return nil }
            try check(status, domain: .keyValue, while: "getting \(key)")
            guard let entry else { return nil }
            defer { kvEntry_Destroy(entry) }
            return KeyValueEntry(copying: entry)
        }
    }

    /// Marks the key deleted (watchers see a `.delete` entry); history stays until it ages out.
    public func delete(key: String) async throws {
        try await perform { store in
            try check(kvStore_Delete(store, key), domain: .keyValue, while: "deleting \(key)")
        }
    }

    /// Deletes the key and drops its history (a rollup: watchers see a `.purge` entry).
    public func purge(key: String) async throws {
        try await perform { store in
            try check(kvStore_Purge(store, key, nil), domain: .keyValue, while: "purging \(key)")
        }
    }

    /// Watches keys matching `keys` (wildcards `*` and `>` on dot-separated tokens): first
    /// the latest entry of every matching key, then `.initialValuesDone`, then each change.
    public func watch(keys: String = ">") async throws -> KeyValueWatch {
        let watcher = try await perform { store in
            var watcher: OpaquePointer?
            try check(kvStore_Watch(&watcher, store, keys, nil), domain: .keyValue, while: "watching \(keys)")
            guard let watcher else { throw NATSError(code: .other, message: "kvStore_Watch returned nothing") }
            return Transfer(value: watcher)
        }
        let handle = StoppableHandle.watcher(adopting: watcher.value)
        connection.stopOnClose(handle)
        return KeyValueWatch(bucket: bucket, handle: handle, connection: connection)
    }

    /// One of the three writes, which differ only in the C call.
    private func write(
        _ what: String,
        _ value: [UInt8],
        _ call: @escaping @Sendable (UnsafeMutablePointer<UInt64>, OpaquePointer, UnsafeRawPointer?, Int32) -> natsStatus
    ) async throws -> UInt64 {
        try await perform { store in
            var revision: UInt64 = 0
            let status = value.withUnsafeBytes { bytes in call(&revision, store, bytes.baseAddress, Int32(bytes.count)) }
            try check(status, domain: .keyValue, while: what)
            return revision
        }
    }

    private func perform<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let handle = handle
        let connection = connection
        return try await connection.explainingPermissionDenials(.keyValue(bucket: bucket)) {
            try await connection.runBlocking { try body(handle.raw) }
        }
    }
}
