import Foundation

/// One configurable value: its dotted key, the flag and environment variable that set it,
/// and the default that applies when neither does.
public struct Setting: Sendable, Hashable {
    /// Dotted name used in docs and in `reprise config`, e.g. `postgres.url`.
    public let key: String
    /// Command-line flag without dashes, e.g. `postgres-url`.
    public let flag: String
    /// Environment variable, e.g. `REPRISE_POSTGRES_URL`.
    public let environmentVariable: String
    public let defaultValue: String
    public let help: String
    /// Values that must never be printed in full (URLs with passwords, keys).
    public let isSecret: Bool

    public init(key: String, defaultValue: String, help: String, isSecret: Bool = false) {
        self.key = key
        self.flag = key.replacingOccurrences(of: ".", with: "-")
        self.environmentVariable = "REPRISE_" + key.uppercased()
            .replacingOccurrences(of: ".", with: "_")
            .replacingOccurrences(of: "-", with: "_")
        self.defaultValue = defaultValue
        self.help = help
        self.isSecret = isSecret
    }
}
