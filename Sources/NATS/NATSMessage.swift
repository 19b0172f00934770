internal import CNATS

/// A core NATS message, copied out of libnats.
public struct NATSMessage: Sendable {
    public var subject: String
    public var payload: [UInt8]
    public var headers: [String: String]
    /// Where a reply should go, for requests.
    public var replySubject: String?

    public init(subject: String, payload: [UInt8], headers: [String: String] = [:], replySubject: String? = nil) {
        self.subject = subject
        self.payload = payload
        self.headers = headers
        self.replySubject = replySubject
    }

    init(copying message: OpaquePointer) {
        self.init(
            subject: optionalString(natsMsg_GetSubject(message)) ?? "",
            payload: messagePayload(message),
            headers: messageHeaders(message),
            replySubject: optionalString(natsMsg_GetReply(message))
        )
    }
}
