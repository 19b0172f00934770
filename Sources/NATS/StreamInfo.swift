internal import CNATS

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A stream's configuration and current state, as the server reports them.
public struct StreamInfo: Sendable {
    /// What a stream holds right now.
    public struct State: Sendable, Equatable {
        public var messages: UInt64
        public var bytes: UInt64
        /// 0 when the stream was never written to.
        public var firstSequence: UInt64
        /// The sequence of the newest message; 0 for a stream never written to.
        public var lastSequence: UInt64
        public var consumerCount: Int
    }

    public var config: StreamConfiguration
    public var state: State
    public var created: Date

    init(_ info: UnsafeMutablePointer<jsStreamInfo>) {
        let info = info.pointee
        config = info.Config.map { StreamConfiguration($0.pointee) } ?? StreamConfiguration(name: "")
        state = State(
            messages: info.State.Msgs,
            bytes: info.State.Bytes,
            firstSequence: info.State.FirstSeq,
            lastSequence: info.State.LastSeq,
            consumerCount: Int(info.State.Consumers)
        )
        created = dateFromNanoseconds(info.Created)
    }
}

/// One message read back from a stream by sequence.
public struct StoredMessage: Sendable {
    public var subject: String
    public var sequence: UInt64
    public var payload: [UInt8]
    public var headers: [String: String]
    /// When the server stored it.
    public var time: Date

    init(copying message: OpaquePointer) {
        subject = optionalString(natsMsg_GetSubject(message)) ?? ""
        sequence = natsMsg_GetSequence(message)
        payload = messagePayload(message)
        headers = messageHeaders(message)
        time = dateFromNanoseconds(natsMsg_GetTime(message))
    }
}
