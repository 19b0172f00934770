internal import CNATS

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One revision of a key.
public struct KeyValueEntry: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        case put
        case delete
        case purge
    }

    public var bucket: String
    public var key: String
    /// Empty for a delete or purge.
    public var value: [UInt8]
    /// The stream sequence of this revision; increases across the whole bucket.
    public var revision: UInt64
    public var operation: Operation
    public var created: Date

    init(copying entry: OpaquePointer) {
        bucket = optionalString(kvEntry_Bucket(entry)) ?? ""
        key = optionalString(kvEntry_Key(entry)) ?? ""
        let length = Int(kvEntry_ValueLen(entry))
        if length > 0, let bytes = kvEntry_Value(entry) {
            value = [UInt8](UnsafeRawBufferPointer(start: bytes, count: length))
        } else {
            value = []
        }
        revision = kvEntry_Revision(entry)
        switch kvEntry_Operation(entry) {
        case kvOp_Delete: operation = .delete
        case kvOp_Purge: operation = .purge
        default: operation = .put
        }
        created = dateFromNanoseconds(kvEntry_Created(entry))
    }
}
