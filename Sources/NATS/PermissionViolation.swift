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
    var subject: String
    /// The server's text, e.g. `Permissions Violation for Publish to "events.x"`.
    var text: String

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
    /// A JetStream API request about this stream (`$JS.API.STREAM.INFO.<stream>`, consumer
    /// create, fetch …): any `$JS.` subject with the stream name as one of its tokens.
    case jetStreamAPI(stream: String)
    /// A key-value operation on this bucket: `$KV.<bucket>.…` or the API of `KV_<bucket>`.
    case keyValue(bucket: String)

    func matches(_ violation: PermissionViolation) -> Bool {
        guard violation.operation == .publish else { return false }
        switch self {
        case .publish(let subject):
            return violation.subject == subject
        case .jetStreamAPI(let stream):
            return violation.subject.hasPrefix("$JS.")
                && violation.subject.split(separator: ".").contains { $0 == stream }
        case .keyValue(let bucket):
            return violation.subject.hasPrefix("$KV.\(bucket).")
                || ViolationMatch.jetStreamAPI(stream: "KV_\(bucket)").matches(violation)
        }
    }
}
