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
    public static let postgresPoolMaxWaiters = Setting(
        key: "postgres.pool-max-waiters",
        defaultValue: "256",
        help: "Most callers waiting for a PostgreSQL connection at once; one more is refused (HTTP 503 with Retry-After)."
    )
    public static let postgresPoolWaitTimeout = Setting(
        key: "postgres.pool-wait-timeout-ms",
        defaultValue: "2000",
        help: "Milliseconds a caller waits for a PostgreSQL connection before it is refused (HTTP 503 with Retry-After)."
    )
    public static let postgresStatementTimeout = Setting(
        key: "postgres.statement-timeout-ms",
        defaultValue: "30000",
        help: "statement_timeout of every PostgreSQL session, in milliseconds; 0 leaves the server's."
    )
    public static let natsURL = Setting(
        key: "nats.url",
        defaultValue: "nats://reprise:reprise-dev@127.0.0.1:54222",
        help: "NATS server URL, with the user and password of this process.",
        isSecret: true
    )
    /// The relay's own NATS user: the only one allowed to publish to the events subjects.
    public static let natsRelayURL = Setting(
        key: "nats.relay-url",
        defaultValue: "",
        help: "NATS URL the relay connects with, as the relay user; empty: nats.url.",
        isSecret: true
    )
    /// One user per projector, allowed to read only its own consumer (`projector-<name>`).
    public static let natsProjectorScoresURL = Setting(
        key: "nats.projector-scores-url",
        defaultValue: "",
        help: "NATS URL the scores projector connects with, as the projector-scores user; empty: nats.url.",
        isSecret: true
    )
    public static let natsProjectorCampaignsURL = Setting(
        key: "nats.projector-campaigns-url",
        defaultValue: "",
        help: "NATS URL the campaigns projector connects with, as the projector-campaigns user; empty: nats.url.",
        isSecret: true
    )
    /// Each projector's URL setting, by projection name.
    public static let natsProjectorURLs: [String: Setting] = [
        "scores": natsProjectorScoresURL,
        "campaigns": natsProjectorCampaignsURL,
    ]
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
    public static let httpIdleTimeout = Setting(
        key: "http.idle-timeout-s",
        defaultValue: "60",
        help: "Seconds an HTTP connection may stay idle before the server closes it."
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

    // Booking rules (`BookingRules.standard` has the same defaults).
    public static let flightStartSlackSeconds = Setting(
        key: "campaigns.flight-start-slack-seconds",
        defaultValue: "300",
        help: "How many seconds before its command a new or moved flight start may lie (0 to 86400)."
    )
    public static let maxSubcampaignsPerCampaign = Setting(
        key: "campaigns.max-subcampaigns",
        defaultValue: "20",
        help: "Most subcampaigns one campaign may ever add, removed ones included."
    )
    public static let maxTargetingCellsPerSubcampaign = Setting(
        key: "campaigns.max-targeting-cells",
        defaultValue: "150",
        help: "Most markets x surfaces one subcampaign may target (each is a score row)."
    )
    public static let maxOpenCampaignsPerOwner = Setting(
        key: "campaigns.max-open-per-owner",
        defaultValue: "100",
        help: "Most open (draft, active or paused) campaigns one owner may have."
    )

    public static let all: [Setting] = [
        postgresURL, postgresPoolSize, natsURL, natsRelayURL, natsProjectorScoresURL, natsProjectorCampaignsURL,
        migrationsDirectory, logLevel, httpHost, httpPort, apiKeysFile, idempotencyRetention,
        eventsStream, eventsSubjectPrefix, scoresBucket, scoresSubjectPrefix, rebuildResidentRows,
        postgresPoolMaxWaiters, postgresPoolWaitTimeout, postgresStatementTimeout, httpIdleTimeout,
        flightStartSlackSeconds, maxSubcampaignsPerCampaign, maxTargetingCellsPerSubcampaign, maxOpenCampaignsPerOwner,
    ]
}
