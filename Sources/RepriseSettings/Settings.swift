/// Every setting Reprise knows, with its documented default.
///
/// The README's configuration table is this list; `reprise config` prints it resolved.
public enum Settings {
    public static let postgresURL = Setting(
        key: "postgres.url",
        defaultValue: "postgresql://reprise@127.0.0.1:55432/reprise",
        help: "PostgreSQL connection URL (libpq URI syntax).",
        isSecret: true
    )
    public static let postgresPoolSize = Setting(
        key: "postgres.pool-size",
        defaultValue: "16",
        help: "Most connections the PostgreSQL pool opens."
    )
    public static let natsURL = Setting(
        key: "nats.url",
        defaultValue: "nats://reprise:reprise-dev@127.0.0.1:54222",
        help: "NATS server URL, with the user and password of this process.",
        isSecret: true
    )
    public static let migrationsDirectory = Setting(
        key: "migrations.dir",
        defaultValue: "migrations",
        help: "Folder holding the numbered SQL migrations."
    )
    public static let logLevel = Setting(
        key: "log.level",
        defaultValue: "info",
        help: "Lowest log level written: trace, debug, info, notice, warning, error or critical."
    )

    public static let httpHost = Setting(
        key: "http.host",
        defaultValue: "127.0.0.1",
        help: "Address the HTTP API listens on."
    )
    public static let httpPort = Setting(
        key: "http.port",
        defaultValue: "8080",
        help: "Port the HTTP API listens on."
    )
    public static let apiKeysFile = Setting(
        key: "api.keys-file",
        defaultValue: "api-keys",
        help: "File of API keys, one a line: '<sha256 hex of the key> <role> [owner1,owner2]'."
    )

    public static let idempotencyRetention = Setting(
        key: "api.idempotency-retention-seconds",
        defaultValue: "86400",
        help: "How long an Idempotency-Key keeps its first answer (seconds); then it is forgotten."
    )

    public static let eventsStream = Setting(
        key: "nats.events-stream",
        defaultValue: "EVENTS",
        help: "JetStream stream the relay publishes the log to."
    )
    public static let eventsSubjectPrefix = Setting(
        key: "nats.events-prefix",
        defaultValue: "events",
        help: "Event subjects are <prefix>.<event type>; the stream captures <prefix>.>."
    )
    public static let scoresBucket = Setting(
        key: "nats.scores-bucket",
        defaultValue: "scores",
        help: "Key-value bucket of current promotion scores."
    )
    public static let scoresSubjectPrefix = Setting(
        key: "nats.scores-prefix",
        defaultValue: "scores",
        help: "Score changes are republished on <prefix>.<market>.<surface>.<track>."
    )

    public static let rebuildResidentRows = Setting(
        key: "projections.rebuild-resident-rows",
        defaultValue: "200000",
        help: "Most model rows a rebuild holds in memory; past it the rebuild writes them out and forgets them."
    )

    public static let all: [Setting] = [
        postgresURL, postgresPoolSize, natsURL, migrationsDirectory, logLevel, httpHost, httpPort, apiKeysFile,
        idempotencyRetention,
        eventsStream, eventsSubjectPrefix, scoresBucket, scoresSubjectPrefix, rebuildResidentRows,
    ]
}
