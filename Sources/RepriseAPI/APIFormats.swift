import Foundation

/// The textual formats the API enforces on headers and parameters, each written once as the
/// pattern `schemas/openapi.yaml` states (the contract tests compare them) and checked here
/// by that same pattern, so the document and the server cannot disagree.
public enum APIFormats {
    /// `X-Correlation-ID`: a UUID in its hyphenated form, either case.
    public static let correlationIDPattern = "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"

    /// `If-Match`: `*`, or one strong entity tag holding a campaign version (`"3"`). A weak
    /// tag could never match (If-Match compares strongly), and a list is not supported.
    public static let ifMatchPattern = #"^(\*|"[0-9]{1,18}")$"#

    /// `asOf` of `GET /campaigns/{campaignId}/state`: a version (`v12`), a log position
    /// (`881234:42`, transaction id and position), or a time in RFC 3339 with `Z` or an offset.
    public static let asOfPattern =
        #"^(v[0-9]{1,18}|[0-9]{1,19}:[0-9]{1,18}|([0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))$"#

    /// A body's timestamp: RFC 3339 in UTC (`Z`), years 0001 to 9999, one to six fraction digits. The parser
    /// (`Timestamp`) also refuses a day its month does not have, such as 02-30.
    public static let timestampPattern =
        #"^([0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?Z$"#

    static func correlationID(_ text: String) -> UUID? {
        matches(text, correlationIDPattern) ? UUID(uuidString: text) : nil
    }

    /// Whether all of `text` matches `pattern`.
    public static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return text.wholeMatch(of: regex) != nil
    }
}
