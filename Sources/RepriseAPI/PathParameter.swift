import Hummingbird
import RepriseDomain

extension APIRequestContext {
    /// A path parameter, percent-decoded and made into its type; a 400 `invalid_parameter`
    /// names it when it is missing, badly encoded or refused by `make`.
    ///
    /// The router matches the path as sent; a client may percent-encode any character
    /// (`j-%3A` is `j-:`, `2026-12-01T00%3A00%3A00Z` a timestamp), so the value is the
    /// decoded segment.
    func pathParameter<T>(_ name: String, _ make: (String) throws(DomainError) -> T) throws(Problem) -> T {
        guard let raw = parameters.get(name) else { throw Problem.invalidParameter(name, "\(name) is missing") }
        guard let text = raw.removingPercentEncoding else {
            throw Problem.invalidParameter(name, "\(name) is not valid percent-encoded UTF-8")
        }
        do {
            return try make(text)
        } catch {
            throw Problem.invalidParameter(name, error.message)
        }
    }
}
