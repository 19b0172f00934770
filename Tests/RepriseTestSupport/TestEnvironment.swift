import Foundation

/// Where the integration tests find their servers.
///
/// `ops/test.sh` starts PostgreSQL and nats-server and exports the URLs. When a test is
/// run by hand without them, the defaults point at the servers `ops/services.sh start`
/// runs, so a missing server makes the test fail loudly instead of being skipped.
public enum TestEnvironment {
    public static var postgresURL: String {
        environment("REPRISE_POSTGRES_URL") ?? "postgresql://reprise@127.0.0.1:55432/reprise"
    }

    public static var natsURL: String {
        environment("REPRISE_NATS_URL") ?? "nats://reprise:reprise-dev@127.0.0.1:54222"
    }

    /// The Postgres URL with `search_path` set to `schema`, so unqualified table names
    /// (as in the migrations) land in a schema that only one test uses.
    public static func postgresURL(searchPath schema: String) -> String {
        postgresURL(postgresURL, searchPath: schema)
    }

    /// `serverURL` with `search_path` set to `schema`.
    public static func postgresURL(_ serverURL: String, searchPath schema: String) -> String {
        let separator = serverURL.contains("?") ? "&" : "?"
        return serverURL + separator + "options=-csearch_path%3D" + schema
    }

    /// A NATS URL for one of the restricted users in `ops/nats/nats-server.conf`,
    /// on the same server as `natsURL`.
    public static func natsURL(user: String, password: String) -> String {
        let hostAndPort = natsURL.split(separator: "@").last.map(String.init) ?? "127.0.0.1:54222"
        let bare = hostAndPort.hasPrefix("nats://") ? String(hostAndPort.dropFirst(7)) : hostAndPort
        return "nats://\(user):\(password)@\(bare)"
    }

    /// A name no other test (or earlier run) uses: tests run in parallel and share servers.
    public static func uniqueName(_ prefix: String) -> String {
        let letters = "abcdefghijklmnopqrstuvwxyz0123456789"
        let suffix = String((0..<10).map { _ in letters.randomElement()! })
        return "\(prefix)_\(suffix)"
    }

    private static func environment(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}
