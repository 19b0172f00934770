/// An error from NATS, JetStream or the key-value store, with the C status already translated.
public struct NATSError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable name callers can switch on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case timeout, permissionDenied, noResponders, connectionClosed, connectionFailed
            case authenticationFailed, notFound, streamNotFound, consumerNotFound, wrongLastSequence
            case streamNameInUse, keyNotFound, wrongLastRevision, invalidArgument, jetStreamNotEnabled
            case slowConsumer, subscriptionClosed, other
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        public var description: String { base.rawValue }

        /// A request or JetStream API call got no answer in time.
        public static let timeout = Code(.timeout)
        /// The server refused a publish or subscribe for this user.
        public static let permissionDenied = Code(.permissionDenied)
        /// Nobody listens on the request subject.
        public static let noResponders = Code(.noResponders)
        /// The connection is closed, or closing.
        public static let connectionClosed = Code(.connectionClosed)
        /// No server could be reached.
        public static let connectionFailed = Code(.connectionFailed)
        /// The server rejected the credentials (or their absence).
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The message or object asked for does not exist.
        public static let notFound = Code(.notFound)
        /// JetStream error 10059.
        public static let streamNotFound = Code(.streamNotFound)
        /// JetStream error 10014.
        public static let consumerNotFound = Code(.consumerNotFound)
        /// JetStream error 10071 on a stream publish: `Nats-Expected-Last-Sequence` did not match.
        public static let wrongLastSequence = Code(.wrongLastSequence)
        /// JetStream error 10058: a stream with that name exists with another configuration.
        public static let streamNameInUse = Code(.streamNameInUse)
        /// A key-value key does not exist.
        public static let keyNotFound = Code(.keyNotFound)
        /// A key-value compare-and-set failed: the key has moved past the expected revision.
        public static let wrongLastRevision = Code(.wrongLastRevision)
        /// The call was given something libnats or the server cannot accept.
        public static let invalidArgument = Code(.invalidArgument)
        /// JetStream error 10076. It also stands for "no responders" on the JetStream API,
        /// which is temporary during a leader change, so callers may retry.
        public static let jetStreamNotEnabled = Code(.jetStreamNotEnabled)
        /// A subscriber fell behind and messages were dropped.
        public static let slowConsumer = Code(.slowConsumer)
        /// The subscription, consumer or watcher was closed.
        public static let subscriptionClosed = Code(.subscriptionClosed)
        /// Anything else; `message` and `natsStatusText` tell more.
        public static let other = Code(.other)
    }

    public var code: Code
    /// What happened, for people. Never contains credentials.
    public var message: String
    /// The server's JetStream error code (`err_code`, e.g. 10071), when there was one.
    public var jetStreamErrorCode: Int?
    /// libnats' text for the `natsStatus`, e.g. "Timeout", when the error came from libnats.
    public var natsStatusText: String?
    /// The subject involved, when the error is about one (always set for `.permissionDenied`).
    public var subject: String?

    public init(
        code: Code,
        message: String,
        jetStreamErrorCode: Int? = nil,
        natsStatusText: String? = nil,
        subject: String? = nil
    ) {
        self.code = code
        self.message = message
        self.jetStreamErrorCode = jetStreamErrorCode
        self.natsStatusText = natsStatusText
        self.subject = subject
    }

    public var description: String {
        var text = "nats \(code): \(message)"
        var details: [String] = []
        if let subject { details.append("subject: \(subject)") }
        if let jetStreamErrorCode { details.append("jsErrCode: \(jetStreamErrorCode)") }
        if let natsStatusText { details.append("natsStatus: \(natsStatusText)") }
        if !details.isEmpty { text += " (\(details.joined(separator: ", ")))" }
        return text
    }
}

extension NATSError {
    static func connectionClosed(_ what: String = "the NATS connection is closed") -> NATSError {
        NATSError(code: .connectionClosed, message: what)
    }

    static func invalidArgument(_ message: String) -> NATSError {
        NATSError(code: .invalidArgument, message: message)
    }

    static func permissionDenied(_ violation: PermissionViolation) -> NATSError {
        NATSError(
            code: .permissionDenied,
            message: "permission denied: \(violation.text)",
            natsStatusText: "Not Permitted",
            subject: violation.subject
        )
    }
}
