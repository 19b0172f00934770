internal import CNATS

extension JetStreamContext {
    /// Creates a bucket, or binds to it if it exists with the same configuration.
    public func createKeyValue(_ config: KeyValueConfiguration) async throws -> KeyValueBucket {
        let store = try await perform(.keyValue(bucket: config.bucket)) { context in
            try withCArena { arena throws(NATSError) in
                var cConfig = config.cConfig(in: arena)
                var store: OpaquePointer?
                try check(js_CreateKeyValue(&store, context, &cConfig), domain: .keyValue, while: "creating bucket \(config.bucket)")
                guard let store else { throw NATSError(code: .other, message: "js_CreateKeyValue returned nothing") }
                return Transfer(value: store)
            }
        }
        return KeyValueBucket(bucket: config.bucket, handle: KeyValueHandle(adopting: store.value), connection: connection)
    }

    /// Binds to an existing bucket; `.notFound` when there is none.
    public func keyValue(bucket: String) async throws -> KeyValueBucket {
        let store = try await perform(.keyValue(bucket: bucket)) { context in
            var store: OpaquePointer?
            let status = js_KeyValue(&store, context, bucket)
            try check(status, while: "opening bucket \(bucket)")
            guard let store else { throw NATSError(code: .other, message: "js_KeyValue returned nothing") }
            return Transfer(value: store)
        }
        return KeyValueBucket(bucket: bucket, handle: KeyValueHandle(adopting: store.value), connection: connection)
    }

    /// Deletes a bucket and all its values; `.notFound` when there is none.
    public func deleteKeyValue(bucket: String) async throws {
        try await perform(.keyValue(bucket: bucket)) { context in
            try check(js_DeleteKeyValue(context, bucket), while: "deleting bucket \(bucket)")
        }
    }
}
