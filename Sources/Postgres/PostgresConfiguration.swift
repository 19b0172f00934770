internal import CLibPQ

/// Where and how to connect: a libpq URL (`postgresql://user@host:port/db?…`) plus the client's own settings.
public struct PostgresConfiguration: Sendable {
    /// Anything libpq accepts: a `postgresql://` URI or a `key=value` connection string.
    public var url: String
    /// Shown in `pg_stat_activity`; overrides an `application_name` in the URL.
    public var applicationName: String
    /// How long to wait for the server when connecting; libpq rounds up to whole seconds, at least 2.
    public var connectTimeout: Duration
    /// The session's `statement_timeout`, set at connect (in milliseconds, at least 1): a
    /// statement running longer fails with `.queryCanceled`. Nil leaves the server's setting.
    public var statementTimeout: Duration?

    public init(
        url: String, applicationName: String = "reprise", connectTimeout: Duration = .seconds(5), statementTimeout: Duration? = nil
    ) {
        self.url = url
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
    }

    /// Checks the URL without connecting, so a typo fails at startup rather than at the first query.
    public func validate() throws {
        _ = try connectionParameters()
    }

    /// The keyword/value pairs for `PQconnectdbParams`: the URL's own, then the client's settings.
    func connectionParameters() throws -> [(keyword: String, value: String)] {
        var parameters = try Self.parse(url).filter {
            $0.keyword != "application_name" && $0.keyword != "connect_timeout" && $0.keyword != "client_encoding"
        }
        let seconds = connectTimeout.components.seconds + (connectTimeout.components.attoseconds > 0 ? 1 : 0)
        parameters.append(("application_name", applicationName))
        parameters.append(("connect_timeout", String(max(1, seconds))))
        // Results are decoded as UTF-8 text, timestamps in ISO style and bytea in hex: pin all three,
        // whatever the server or the environment (PGCLIENTENCODING, PGDATESTYLE) says.
        parameters.append(("client_encoding", "UTF8"))
        var pinned = "-c datestyle=ISO -c bytea_output=hex"
        if let statementTimeout {
            let milliseconds = statementTimeout.components.seconds * 1_000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000
            pinned += " -c statement_timeout=\(max(1, milliseconds))"
        }
        if let index = parameters.firstIndex(where: { $0.keyword == "options" }) {
            parameters[index].value += " " + pinned
        } else {
            parameters.append(("options", pinned))
        }
        return parameters
    }

    private static func parse(_ url: String) throws -> [(keyword: String, value: String)] {
        if url.utf8.contains(0) {
            throw PostgresError(code: .connectionFailed, message: "invalid PostgreSQL URL: it contains a NUL character")
        }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &errorMessage) else {
            // The message names the problem ("invalid port number", "missing \"=\" after …") but never the password.
            let reason = errorMessage.map { String(cString: $0) } ?? "libpq could not parse it"
            PQfreemem(errorMessage)
            throw PostgresError(
                code: .connectionFailed,
                message: "invalid PostgreSQL URL: \(reason.trimmingTrailingNewlines())"
            )
        }
        defer { PQconninfoFree(options) }

        var parameters: [(keyword: String, value: String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                parameters.append((String(cString: keyword), String(cString: value)))
            }
            option += 1
        }
        return parameters
    }
}

extension String {
    /// libpq ends its messages with a newline.
    /// libpq's messages end in a newline and may span lines ("…failed: Connection refused\n\tIs
    /// the server running…"); errors are shown and logged on one line.
    func trimmingTrailingNewlines() -> String {
        split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: "; ")
    }
}
