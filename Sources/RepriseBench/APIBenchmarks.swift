import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Postgres
import RepriseAPI
import RepriseCampaigns
import RepriseDomain
import RepriseEventStore
import RepriseMigrations
import ReprisePlatform
import ServiceLifecycle

/// The HTTP command API's speed: the real server in this process, on a loopback port and a
/// scratch schema, driven over keep-alive connections; beside it, in the same run and at
/// the same concurrency, the framework's floor (`GET /health/live`) and the event store's
/// single-event append rate, which single-event commands are judged against.
public struct APIBenchmarks: Sendable {
    public struct Options: Sendable {
        public var postgresURL: String
        public var migrationsDirectory: String
        /// How long each figure runs.
        public var secondsPerFigure: Double
        /// Open connections (and store writers) for each round of figures.
        public var concurrencies: [Int]
        /// The server's PostgreSQL pool, as `postgres.pool-size` sets it for `reprise serve`.
        public var poolSize: Int
        /// Send an `Idempotency-Key` with every command, as a careful client does.
        public var idempotencyKeys: Bool

        public init(
            postgresURL: String, migrationsDirectory: String, secondsPerFigure: Double = 3, concurrencies: [Int] = [16, 64],
            poolSize: Int = 16, idempotencyKeys: Bool = true
        ) {
            self.postgresURL = postgresURL
            self.migrationsDirectory = migrationsDirectory
            self.secondsPerFigure = secondsPerFigure
            self.concurrencies = concurrencies
            self.poolSize = poolSize
            self.idempotencyKeys = idempotencyKeys
        }
    }

    /// Figure names, so tools reading `--json` can find them.
    public enum Name {
        public static func floor(_ connections: Int) -> String { "api GET /health/live, \(connections) conns" }
        public static func mixed(_ connections: Int) -> String { "api mixed commands, \(connections) conns" }
        public static func singleEvent(_ connections: Int) -> String { "api single-event commands, \(connections) conns" }
    }

    let options: Options
    let logger: Logger

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    public func run() async throws -> [BenchResult] {
        try await MigratedScratchSchema.with(
            url: options.postgresURL, migrationsDirectory: options.migrationsDirectory, prefix: "bench_api", logger: logger
        ) { url in
            try await Self.withServer(url: url, poolSize: options.poolSize, migrationsDirectory: options.migrationsDirectory, logger: logger) {
                port, pool in
                var results: [BenchResult] = []
                for connections in options.concurrencies {
                    results += try await round(port: port, connections: connections, pool: pool)
                }
                return results
            }
        }
    }

    /// The four figures at one concurrency, one after the other on the same server.
    private func round(port: Int, connections: Int, pool: PostgresConnectionPool) async throws -> [BenchResult] {
        let run = UInt32.random(in: 0...UInt32.max)
        let workload = try CommandWorkload(run: "b\(run)", idempotencyKeys: options.idempotencyKeys)
        let floor = try await measure(Name.floor(connections), unit: "request", port: port, connections: connections) { _, _ in
            (LoadRequest(method: .GET, path: "/health/live"), 200)
        }
        let mixed = try await measure(Name.mixed(connections), unit: "command", port: port, connections: connections, baseline: floor) {
            workload.mixed(worker: $0, index: $1)
        }
        // Single-event commands go to campaigns each connection books (untimed) first: 8
        // each, like the store figure's 8 streams per writer.
        _ = try await HTTPLoadClient.forEachConnection(port: port, count: connections) { worker, connection in
            for slot in 0..<CommandWorkload.campaignsPerWorker {
                for (request, status) in workload.booking(worker: worker, slot: slot) {
                    try Self.check(try await connection.send(request), expected: status, request)
                }
            }
        }
        let storeWriters = try await storeAppends(pool: pool, writers: connections, run: run)
        let single = try await measure(
            Name.singleEvent(connections), unit: "command", port: port, connections: connections, baseline: storeWriters
        ) {
            workload.singleEvent(worker: $0, index: $1)
        }
        return [floor, mixed, single, storeWriters]
    }

    /// `StoreBenchmarks`' single-event appends on the server's pool, sized to run about as
    /// long as the other figures (a short first pass finds the rate).
    private func storeAppends(pool: PostgresConnectionPool, writers: Int, run: UInt32) async throws -> BenchResult {
        let store = PostgresEventStore(pool: pool, logger: logger)
        let probe = try await StoreBenchmarks.singleEventAppends(store, writers: writers, appends: writers * 20, baseline: nil)
        let appends = max(writers, Int(probe.ratePerSecond * options.secondsPerFigure))
        return try await StoreBenchmarks.singleEventAppends(store, writers: writers, appends: appends, baseline: nil)
    }

    /// Runs `connections` connections for `secondsPerFigure`, each sending `next(worker,
    /// index)` one after the other, and times every exchange.
    private func measure(
        _ name: String, unit: String, port: Int, connections: Int, baseline: BenchResult? = nil,
        _ next: @escaping @Sendable (_ worker: Int, _ index: Int) -> (LoadRequest, expectedStatus: Int)
    ) async throws -> BenchResult {
        let clock = ContinuousClock()
        let duration = Duration.milliseconds(Int64(options.secondsPerFigure * 1000))
        let started = clock.now
        let deadline = started + duration
        let latencies = try await HTTPLoadClient.forEachConnection(port: port, count: connections) { worker, connection in
            var latencies: [Duration] = []
            var index = 0
            while clock.now < deadline {
                let (request, status) = next(worker, index)
                let start = clock.now
                let response = try await connection.send(request)
                latencies.append(clock.now - start)
                try Self.check(response, expected: status, request)
                index += 1
            }
            return latencies
        }.flatMap { $0 }
        let elapsed = clock.now - started
        return BenchResult(name: name, unit: unit, operations: latencies.count, seconds: elapsed.seconds, latencies: latencies, baseline: baseline)
    }

    private static func check(_ response: LoadResponse, expected: Int, _ request: LoadRequest) throws {
        guard response.status == expected else {
            throw HTTPLoadError(
                .unexpectedStatus,
                "\(request.method) \(request.path) answered \(response.status), not \(expected): \(String(buffer: response.body))"
            )
        }
    }

    /// Starts the API as the platform runs it, on a free loopback port with a fresh admin
    /// key, runs `body` with the port and the server's pool, and shuts the server down.
    static func withServer<R: Sendable>(
        url: String, poolSize: Int, migrationsDirectory: String, logger: Logger,
        _ body: @Sendable (Int, PostgresConnectionPool) async throws -> R
    ) async throws -> R {
        // Warnings and worse only: one info line per request would measure the terminal.
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .warning)
        let configuration = PlatformConfiguration(
            components: [.api], postgres: PostgresConfiguration(url: url), postgresPoolSize: poolSize, natsURL: "",
            api: APIConfiguration(host: "127.0.0.1", port: 0), keyring: APIKeyring(keys: [CommandWorkload.adminKey: (.admin, [])]),
            migrations: try Migration.load(from: migrationsDirectory),
            // One owner books every campaign of the load; the per-owner limit would stop it.
            bookingRules: CommandWorkload.bookingRules
        )
        return try await Platform.withRunning(configuration, logger: serverLogger) { platform in
            let port = try await platform.apiPort()
            try await platform.commands.tracks.assign(
                CommandWorkload.track, to: CommandWorkload.owner,
                envelope: CommandEnvelope(commandID: "bench-assign", correlationID: UUID(), actor: "bench", issuedAt: APIServices.systemClock())
            )
            logger.info("API server listening", metadata: ["http.port": .stringConvertible(port)])
            return try await body(port, platform.pool)
        }
    }
}

/// The requests of the command figures. Every connection works on campaigns of its own, so
/// the figures measure the server rather than contention between connections.
struct CommandWorkload: Sendable {
    /// A fresh key each run; the server knows only its hash, as in production.
    static let adminKey = "bench-" + UUID().uuidString
    static let campaignsPerWorker = 8
    /// Every campaign's owner and promoted track; the track is assigned to it before the load.
    // Literals that are valid ids; `try!` cannot fail on them.
    static let owner = try! OwnerID("label-bench")
    static let track = try! TrackID("trk-1")
    static let bookingRules: BookingRules = {
        var rules = BookingRules.standard
        rules.maxOpenCampaignsPerOwner = 1_000_000
        return rules
    }()

    let run: String
    let idempotencyKeys: Bool
    /// A flight that starts tomorrow and runs 30 days, so that every command is accepted.
    let flightStart: String
    let flightEnd: String

    init(run: String, idempotencyKeys: Bool) throws {
        self.run = run
        self.idempotencyKeys = idempotencyKeys
        let day: Int64 = 86_400_000_000
        let tomorrow = try Timestamp(atOrBefore: Date()).microsecondsSinceEpoch / day * day + day
        flightStart = try Timestamp(microsecondsSinceEpoch: tomorrow).iso8601
        flightEnd = try Timestamp(microsecondsSinceEpoch: tomorrow + 30 * day).iso8601
    }

    /// A campaign's life in nine commands, one campaign after the other: create, add a
    /// subcampaign, activate, change the budget, report, pause, resume, report, and a bulk
    /// buy of two more campaigns (with a subcampaign each, activated: six events at once).
    func mixed(worker: Int, index: Int) -> (LoadRequest, expectedStatus: Int) {
        let id = "\(run)-m\(worker)-\(index / 9)"
        let key = "m\(worker)-\(index)"
        switch index % 9 {
        case 0: return (post("/campaigns", create(id), key: key), 201)
        case 1: return (post("/campaigns/\(id)/subcampaigns", Self.subcampaign, key: key), 201)
        case 2: return (post("/campaigns/\(id)/activate", nil, key: key), 200)
        case 3: return (post("/campaigns/\(id)/change-budget", Self.budget(2_000_000), key: key), 200)
        case 4: return (post("/campaigns/\(id)/delivery-reports", report("r\(index)"), key: key), 201)
        case 5: return (post("/campaigns/\(id)/pause", nil, key: key), 200)
        case 6: return (post("/campaigns/\(id)/resume", nil, key: key), 200)
        case 7: return (post("/campaigns/\(id)/delivery-reports", report("r\(index)"), key: key), 201)
        default:
            let items = ["\(id)-x", "\(id)-y"].map {
                String(create($0).dropLast()) + #","subcampaigns":[\#(Self.subcampaign)],"activate":true}"#
            }
            return (post("/campaigns/bulk-buys", #"{"items":[\#(items.joined(separator: ","))]}"#, key: key), 201)
        }
    }

    /// Create, add a subcampaign, activate: the campaigns the single-event figure works on.
    func booking(worker: Int, slot: Int) -> [(LoadRequest, Int)] {
        let id = "\(run)-s\(worker)-\(slot)"
        return [
            (post("/campaigns", create(id), key: "\(id)-create"), 201),
            (post("/campaigns/\(id)/subcampaigns", Self.subcampaign, key: "\(id)-sub"), 201),
            (post("/campaigns/\(id)/activate", nil, key: "\(id)-activate"), 200),
        ]
    }

    /// Commands that append exactly one event each, round-robin over the connection's
    /// campaigns: change the budget, pause, resume, report delivery.
    func singleEvent(worker: Int, index: Int) -> (LoadRequest, expectedStatus: Int) {
        let slot = index % Self.campaignsPerWorker
        let id = "\(run)-s\(worker)-\(slot)"
        let key = "s\(worker)-\(index)"
        switch (index / Self.campaignsPerWorker) % 4 {
        case 0: return (post("/campaigns/\(id)/change-budget", Self.budget(2_000_000 + index), key: key), 200)
        case 1: return (post("/campaigns/\(id)/pause", nil, key: key), 200)
        case 2: return (post("/campaigns/\(id)/resume", nil, key: key), 200)
        default: return (post("/campaigns/\(id)/delivery-reports", report("r\(index)"), key: key), 201)
        }
    }

    private func post(_ path: String, _ json: String?, key: String) -> LoadRequest {
        var headers: HTTPHeaders = ["Authorization": "Bearer \(Self.adminKey)"]
        if json != nil { headers.add(name: "Content-Type", value: "application/json") }
        if idempotencyKeys { headers.add(name: "Idempotency-Key", value: "\(run)-\(key)") }
        return LoadRequest(method: .POST, path: path, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    private func create(_ id: String) -> String {
        """
        {"campaignId":"\(id)","ownerId":"label-bench","name":"Bench single","objective":"reach",\
        "budget":{"amountMinor":1000000,"currency":"EUR"},\
        "flight":{"start":"\(flightStart)","end":"\(flightEnd)"},"pacingMode":"even"}
        """
    }

    private func report(_ reportID: String) -> String {
        """
        {"reportId":"\(reportID)","subcampaignId":"sub-1","from":"\(flightStart)","to":"\(flightEnd)",\
        "impressions":1000,"reachEstimate":800,"clicks":10,"conversions":1,"spend":{"amountMinor":1,"currency":"EUR"}}
        """
    }

    private static func budget(_ amountMinor: Int) -> String {
        #"{"budget":{"amountMinor":\#(amountMinor),"currency":"EUR"}}"#
    }

    private static let subcampaign = """
        {"id":"sub-1","targeting":{"markets":["SE","NO"],"surfaces":["home"],"segments":["superfans"]},\
        "pricing":{"model":"cpm","amountMinor":450},"promotedItem":{"kind":"track","id":"trk-1"}}
        """
}

extension HTTPLoadClient {
    /// Opens `count` connections to the loopback `port` at once and runs `session` on each
    /// with its index; returns what each returned, in index order.
    static func forEachConnection<R: Sendable>(
        port: Int, count: Int, _ session: @escaping @Sendable (Int, HTTPLoadConnection) async throws -> R
    ) async throws -> [R] {
        try await withThrowingTaskGroup(of: (Int, R).self) { group in
            for worker in 0..<count {
                group.addTask {
                    (worker, try await withConnection(host: "127.0.0.1", port: port) { try await session(worker, $0) })
                }
            }
            var results = [R?](repeating: nil, count: count)
            for try await (worker, result) in group { results[worker] = result }
            return results.compactMap { $0 }
        }
    }
}
