/// A "Permissions Violation" the server reported asynchronously, parsed from its text.
///
/// The server answers a denied publish or subscribe only with an `-ERR` line; the request
/// that caused it just times out. Keeping these lets a timed-out call say what really
/// happened.
struct PermissionViolation: Sendable, Equatable {
    enum Operation: Sendable, Equatable {
        case publish
        case subscribe
    }

    /// Increases with each violation on a connection, so a call can ask for "since I started".
    var serial: UInt64
    var operation: Operation
    /// Empty when the violation's text was lost (see `ConnectionCallbacks`).
    var subject: String
    /// The server's text, e.g. `Permissions Violation for Publish to "events.x"`.
    var text: String

    init(serial: UInt64, operation: Operation, subject: String, text: String) {
        self.serial = serial
        self.operation = operation
        self.subject = subject
        self.text = text
    }

    /// A publish violation whose text libnats had already overwritten.
    static func unknown(serial: UInt64) -> PermissionViolation {
        PermissionViolation(serial: serial, operation: .publish, subject: "", text: "Permissions Violation (subject not reported)")
    }

    /// Parses `Permissions Violation for Publish to "x"` and
    /// `Permissions Violation for Subscription to "x"` (optionally `using queue "q"`).
    init?(text: String, serial: UInt64) {
        let lowered = text.lowercased()
        let operation: Operation
        let marker: String
        if lowered.contains("for publish to") {
            operation = .publish
            marker = "for publish to"
        } else if lowered.contains("for subscription to") {
            operation = .subscribe
            marker = "for subscription to"
        } else {
            return nil
        }
        guard let markerRange = lowered.firstRange(of: marker) else { return nil }
        let offset = lowered.distance(from: lowered.startIndex, to: markerRange.upperBound)
        let rest = text.dropFirst(offset).drop(while: { $0 == " " })
        let subject: Substring
        if rest.first == "\"" {
            subject = rest.dropFirst().prefix(while: { $0 != "\"" })
        } else {
            subject = rest.prefix(while: { $0 != " " })
        }
        guard !subject.isEmpty else { return nil }
        self.serial = serial
        self.operation = operation
        self.subject = String(subject)
        self.text = text
    }
}

/// Which violations count as the cause of a failed call.
enum ViolationMatch: Sendable {
    /// A publish to exactly this subject (a stream publish, a core request).
    case publish(String)
    /// A JetStream API request about this stream: any `$JS.` subject with the stream name as
    /// one of its tokens, preferring `subject`, the request this call makes, when known.
    case jetStreamAPI(stream: String, subject: String? = nil)
    /// A key-value operation on this bucket: `$KV.<bucket>.…` or the API of `KV_<bucket>`.
    case keyValue(bucket: String)

    /// The subject the failed call published to, when known.
    var requestSubject: String? {
        switch self {
        case .publish(let subject): return subject
        case .jetStreamAPI(_, let subject): return subject
        case .keyValue: return nil
        }
    }

    /// How well `violation` explains the failure: 0 not at all, 1 plausibly (a related
    /// subject, or one whose subject was lost), 2 the exact request.
    func score(_ violation: PermissionViolation) -> Int {
        guard violation.operation == .publish else { return 0 }
        if violation.subject.isEmpty { return 1 }
        switch self {
        case .publish(let subject):
            return violation.subject == subject ? 2 : 0
        case .jetStreamAPI(let stream, let subject):
            if violation.subject == subject { return 2 }
            let related = violation.subject.hasPrefix("$JS.")
                && violation.subject.split(separator: ".").contains { $0 == stream }
            return related ? 1 : 0
        case .keyValue(let bucket):
            if violation.subject.hasPrefix("$KV.\(bucket).") { return 2 }
            return ViolationMatch.jetStreamAPI(stream: "KV_\(bucket)").score(violation)
        }
    }

    func matches(_ violation: PermissionViolation) -> Bool {
        score(violation) > 0
    }

    /// The violation to report for a failed call: an exact one as it is; a plausible one
    /// under the subject the call itself used, since that is what the server refused.
    func explanation(from violation: PermissionViolation) -> PermissionViolation {
        guard score(violation) < 2, let requestSubject else { return violation }
        var explained = violation
        explained.subject = requestSubject
        explained.text = "Permissions Violation for Publish to \"\(requestSubject)\" (the server reported: \(violation.text))"
        return explained
    }
}
