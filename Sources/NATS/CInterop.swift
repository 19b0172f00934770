internal import CNATS

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// libnats wants `nats_Open` once per process, before anything else.
enum NATSLibrary {
    private static let openError: NATSError? = {
        let status = nats_Open(-1)
        return status == NATS_OK ? nil : NATSError(status: status, while: "nats_Open")
    }()

    static func open() throws(NATSError) {
        if let openError { throw openError }
    }
}

/// C strings and small structs that must stay valid for the duration of one C call.
///
/// libnats config structs hold `const char *` fields that it only reads during the call,
/// so everything is copied into memory that this arena frees when it goes away. Use it
/// through `withCArena` so its lifetime visibly spans the call.
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    fileprivate init() {}

    deinit {
        for allocation in allocations { free(allocation) }
    }

    func string(_ value: String) -> UnsafePointer<CChar> {
        guard let copy = strdup(value) else { fatalError("out of memory copying a C string") }
        allocations.append(UnsafeMutableRawPointer(copy))
        return UnsafePointer(copy)
    }

    func string(_ value: String?) -> UnsafePointer<CChar>? {
        value.map { string($0) }
    }

    func strings(_ values: [String]) -> UnsafeMutablePointer<UnsafePointer<CChar>?> {
        let array = allocate(UnsafePointer<CChar>?.self, count: max(values.count, 1))
        for (index, value) in values.enumerated() { array[index] = string(value) }
        return array
    }

    func value<T>(_ value: T) -> UnsafeMutablePointer<T> {
        let pointer = allocate(T.self, count: 1)
        pointer.initialize(to: value)
        return pointer
    }

    private func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        guard let raw = calloc(count, MemoryLayout<T>.stride) else { fatalError("out of memory") }
        allocations.append(raw)
        return raw.bindMemory(to: T.self, capacity: count)
    }
}

func withCArena<Result, Failure: Error>(_ body: (CArena) throws(Failure) -> Result) throws(Failure) -> Result {
    let arena = CArena()
    return try withExtendedLifetime(arena) { () throws(Failure) -> Result in try body(arena) }
}

func optionalString(_ pointer: UnsafePointer<CChar>?) -> String? {
    pointer.map { String(cString: $0) }
}

func optionalString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
    pointer.map { String(cString: $0) }
}

// MARK: - Messages

/// The payload of a `natsMsg`, copied out.
func messagePayload(_ message: OpaquePointer) -> [UInt8] {
    let length = Int(natsMsg_GetDataLength(message))
    guard length > 0, let data = natsMsg_GetData(message) else { return [] }
    return [UInt8](UnsafeRawBufferPointer(start: data, count: length))
}

/// The headers of a `natsMsg`, copied out. Only the first value of a repeated key is kept.
func messageHeaders(_ message: OpaquePointer) -> [String: String] {
    var keys: UnsafeMutablePointer<UnsafePointer<CChar>?>?
    var count: Int32 = 0
    guard natsMsgHeader_Keys(message, &keys, &count) == NATS_OK, let keys else { return [:] }
    defer { free(UnsafeMutableRawPointer(mutating: keys)) }
    var headers: [String: String] = [:]
    for index in 0..<Int(count) {
        guard let key = keys[index] else { continue }
        var value: UnsafePointer<CChar>?
        if natsMsgHeader_Get(message, key, &value) == NATS_OK {
            headers[String(cString: key)] = optionalString(value) ?? ""
        }
    }
    return headers
}

/// A new `natsMsg` with the payload and headers; the caller owns it.
///
/// The data length is always exact: `natsMsg_Create` with -1 corrupts memory. Empty header
/// values are refused: libnats 3.4.1 sends them but then cannot parse any header of such a
/// message on the receiving side.
func makeMessage(subject: String, reply: String? = nil, payload: [UInt8], headers: [String: String]) throws(NATSError) -> OpaquePointer {
    try makeMessage(subject: subject, reply: reply, payload: payload, headerFields: headers.map { ($0.key, $0.value) })
}

/// A message with `headerFields` set in order, then the JetStream headers. The fields go
/// straight to `natsMsgHeader_Set`: no dictionary is built per message, because a publish
/// path sending tens of thousands of messages a second pays for every allocation.
func makeMessage(
    subject: String, reply: String? = nil, payload: [UInt8], headerFields: [(name: String, value: String)],
    messageID: String? = nil, expectedLastSequence: UInt64? = nil
) throws(NATSError) -> OpaquePointer {
    if let empty = headerFields.first(where: { $0.value.isEmpty }) {
        throw NATSError.invalidArgument("header \(empty.name) has an empty value, which libnats cannot read back")
    }
    if messageID?.isEmpty == true {
        throw NATSError.invalidArgument("header Nats-Msg-Id has an empty value, which libnats cannot read back")
    }
    var message: OpaquePointer?
    let status = payload.withUnsafeBytes { bytes in
        natsMsg_Create(
            &message, subject, reply,
            bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count)
        )
    }
    try check(status, while: "creating a message for \(subject)")
    guard let message else { throw NATSError(code: .other, message: "natsMsg_Create returned no message") }
    func set(_ name: String, _ value: String) throws(NATSError) {
        let headerStatus = natsMsgHeader_Set(message, name, value)
        if headerStatus != NATS_OK {
            let error = NATSError(status: headerStatus, while: "setting header \(name)")
            natsMsg_Destroy(message)
            throw error
        }
    }
    for field in headerFields { try set(field.name, field.value) }
    if let messageID { try set(JetStreamHeader.messageID, messageID) }
    if let expectedLastSequence { try set(JetStreamHeader.expectedLastSequence, String(expectedLastSequence)) }
    return message
}

/// The headers JetStream reads on publish.
enum JetStreamHeader {
    static let messageID = "Nats-Msg-Id"
    /// Set directly rather than through `jsPubOptions`, because libnats treats an expected
    /// last sequence of 0 as "not set".
    static let expectedLastSequence = "Nats-Expected-Last-Sequence"
}

// MARK: - Time

extension Duration {
    /// Whole nanoseconds, saturating at `Int64.max`.
    var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? Int64.min : Int64.max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? Int64.max : total
    }

    /// Whole milliseconds, at least 1: libnats rejects a zero timeout.
    var timeoutMilliseconds: Int64 {
        max(1, clampedNanoseconds / 1_000_000)
    }
}

func dateFromNanoseconds(_ nanoseconds: Int64) -> Date {
    Date(timeIntervalSince1970: Double(nanoseconds) / 1_000_000_000)
}
