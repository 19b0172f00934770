internal import CNATS

/// Which API a failing call belongs to: the same C status reads differently for key-value.
enum ErrorDomain {
    case general
    case keyValue
}

extension NATSError {
    /// The error for a failed libnats call.
    ///
    /// Call it on the thread that made the failing call, right after it: libnats keeps the
    /// detailed text per thread, and a later call on the same thread overwrites it.
    init(status: natsStatus, jsError: jsErrCode = jsErrCode(0), domain: ErrorDomain = .general, while doing: String? = nil) {
        let text = Self.lastErrorText(for: status)
        let jetStreamCode = jsError.rawValue == 0 ? nil : Int(jsError.rawValue)
        self.init(
            code: Self.code(status: status, jetStreamCode: jetStreamCode, text: text, domain: domain),
            message: doing.map { "\($0): \(text)" } ?? text,
            jetStreamErrorCode: jetStreamCode,
            natsStatusText: String(cString: natsStatus_GetText(status))
        )
    }

    /// An error libnats handed to a callback. Only the status (and maybe a server text) is
    /// known there; the thread-local error text belongs to some other call.
    init(reportedStatus status: natsStatus, jetStreamErrorCode: Int? = nil, text: String? = nil, domain: ErrorDomain = .general) {
        let statusText = String(cString: natsStatus_GetText(status))
        let text = text ?? statusText
        self.init(
            code: Self.code(status: status, jetStreamCode: jetStreamErrorCode, text: text, domain: domain),
            message: text,
            jetStreamErrorCode: jetStreamErrorCode,
            natsStatusText: statusText
        )
    }

    /// libnats' detailed text for the calling thread's last error, or the status text when the
    /// thread-local text belongs to an older, different failure.
    private static func lastErrorText(for status: natsStatus) -> String {
        var lastStatus = NATS_OK
        if let pointer = nats_GetLastError(&lastStatus), lastStatus == status {
            let text = String(cString: pointer)
            // The text starts with the C source location, "(jsm.c:1033): ".
            if text.hasPrefix("("), let end = text.firstRange(of: "): ") {
                let stripped = String(text[end.upperBound...])
                if !stripped.isEmpty { return stripped }
            } else if !text.isEmpty {
                return text
            }
        }
        return String(cString: natsStatus_GetText(status))
    }

    static func code(status: natsStatus, jetStreamCode: Int?, text: String, domain: ErrorDomain) -> Code {
        switch jetStreamCode {
        case 10059: return .streamNotFound
        case 10014: return .consumerNotFound
        case 10071: return domain == .keyValue ? .wrongLastRevision : .wrongLastSequence
        case 10058: return .streamNameInUse
        case 10076: return .jetStreamNotEnabled
        case 10037, 10043: return .notFound
        default: break
        }
        switch status {
        case NATS_TIMEOUT:
            return .timeout
        case NATS_NOT_PERMITTED:
            return .permissionDenied
        case NATS_NO_RESPONDERS:
            return .noResponders
        case NATS_CONNECTION_CLOSED, NATS_DRAINING:
            return .connectionClosed
        case NATS_CONNECTION_AUTH_FAILED:
            return .authenticationFailed
        case NATS_NO_SERVER, NATS_IO_ERROR, NATS_SECURE_CONNECTION_WANTED, NATS_SECURE_CONNECTION_REQUIRED,
            NATS_SSL_ERROR, NATS_NOT_YET_CONNECTED, NATS_STALE_CONNECTION, NATS_CONNECTION_DISCONNECTED:
            return .connectionFailed
        case NATS_NOT_FOUND:
            return domain == .keyValue ? .keyNotFound : .notFound
        case NATS_INVALID_ARG, NATS_INVALID_SUBJECT, NATS_INVALID_TIMEOUT, NATS_INVALID_QUEUE_NAME,
            NATS_ADDRESS_MISSING, NATS_MAX_PAYLOAD:
            return .invalidArgument
        case NATS_SLOW_CONSUMER:
            return .slowConsumer
        case NATS_INVALID_SUBSCRIPTION:
            return .subscriptionClosed
        default:
            // The key-value API loses the jsErrCode of a failed compare-and-set; only the
            // server's text is left.
            if text.contains("wrong last sequence") {
                return domain == .keyValue ? .wrongLastRevision : .wrongLastSequence
            }
            return .other
        }
    }
}

/// Throws the translated error unless `status` is `NATS_OK`. Call it right after the C call.
func check(
    _ status: natsStatus,
    jsError: jsErrCode = jsErrCode(0),
    domain: ErrorDomain = .general,
    while doing: @autoclosure () -> String? = nil
) throws(NATSError) {
    guard status != NATS_OK else { return }
    throw NATSError(status: status, jsError: jsError, domain: domain, while: doing())
}
