import ArgumentParser
import Foundation
import Logging
import NATS
import Postgres
import RepriseMigrations
import RepriseSettings

/// Checks that every piece answers: Postgres, the migrations, LISTEN/NOTIFY, NATS and JetStream.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check that PostgreSQL, the migrations, LISTEN/NOTIFY, NATS and JetStream all answer."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("migrations-dir"), help: "Folder of NNNN_name.sql files [env: REPRISE_MIGRATIONS_DIR]")
    var migrationsDirectory: String?

    func run() async throws {
        let options = try common.resolve()
        let logger = options.makeLogger(label: "reprise.doctor")
        let directory = SettingsResolver(environment: ProcessInfo.processInfo.environment)
            .resolve(Settings.migrationsDirectory, flag: migrationsDirectory).value
        let postgres = PostgresConfiguration(url: options.postgresURL.value)

        print("PostgreSQL \(options.postgresURL.displayValue)")
        print("NATS       \(options.natsURL.displayValue)")
        var failures = 0
        func report(_ name: String, _ check: () async throws -> String) async {
            let started = ContinuousClock.now
            do {
                let detail = try await check()
                print("  ok    \(name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(Redaction.redact(detail)) (\(Self.format(ContinuousClock.now - started)))")
            } catch {
                failures += 1
                // Driver errors may quote the connection string they failed with.
                print("  FAIL  \(name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(Redaction.redact("\(error)"))")
            }
        }

        await report("postgres") {
            try await Self.withPostgres(postgres, logger) { connection in
                let rows = try await connection.query("SELECT current_setting('server_version'), current_database()")
                return "PostgreSQL \(try rows[0].decode(String.self, at: 0)), database \(try rows[0].decode(String.self, at: 1))"
            }
        }
        await report("migrations") {
            let runner = MigrationRunner(migrations: try Migration.load(from: directory), logger: logger)
            let status = try await Self.withPostgres(postgres, logger) { try await runner.status(on: $0) }
            guard status.isCurrent else {
                throw CLIFailure("\(status.pending.count) pending; run `reprise migrate`")
            }
            return "\(status.applied.count) applied, none pending"
        }
        await report("listen/notify") {
            try await Self.notifyRoundTrip(postgres, logger)
        }
        await report("jetstream") {
            try await Self.jetStreamRoundTrip(url: options.natsURL.value, logger)
        }

        if failures > 0 {
            print("\(failures) check(s) failed")
            throw ExitCode.failure
        }
        print("all pieces answer")
    }

    /// NOTIFY from one connection arrives at a LISTEN on another.
    private static func notifyRoundTrip(_ configuration: PostgresConfiguration, _ logger: Logger) async throws -> String {
        let channel = "reprise_doctor"
        let payload = UUID().uuidString
        let listener = try await PostgresConnection.connect(configuration, logger: logger)
        do {
            let notifications = try await listener.listen(to: [channel])
            let received = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    for try await notification in notifications where notification.payload == payload {
                        return notification.payload
                    }
                    return nil
                }
                group.addTask {
                    try await withPostgres(configuration, logger) { try await $0.notify(channel: channel, payload: payload) }
                    try await Task.sleep(for: .seconds(5))
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            await listener.close()
            guard received != nil else { throw CLIFailure("no notification within 5 s") }
            return "notification delivered on channel \(channel)"
        } catch {
            await listener.close()
            throw error
        }
    }

    /// A message published to JetStream with a message id is stored and read back by sequence.
    private static func jetStreamRoundTrip(url: String, _ logger: Logger) async throws -> String {
        try await NATSConnection.withConnection(url: url, name: "reprise-doctor", logger: logger) { connection in
            let jetStream = try connection.jetStream()
            let stream = "REPRISE_DOCTOR"
            _ = try? await jetStream.deleteStream(name: stream)
            _ = try await jetStream.createStream(
                StreamConfiguration(name: stream, subjects: ["reprise.doctor"], storage: .memory)
            )
            let body = Array("doctor \(UUID().uuidString)".utf8)
            let ack = try await jetStream.publish(subject: "reprise.doctor", payload: body, messageID: UUID().uuidString)
            let stored = try await jetStream.getMessage(stream: stream, sequence: ack.sequence)
            try await jetStream.deleteStream(name: stream)
            guard stored.payload == body else { throw CLIFailure("stored message differs from what was published") }
            return "published and read back sequence \(ack.sequence) on stream \(stream)"
        }
    }

    private static func withPostgres<R: Sendable>(
        _ configuration: PostgresConfiguration, _ logger: Logger, _ body: (PostgresConnection) async throws -> sending R
    ) async throws -> sending R {
        try await PostgresConnection.withConnection(configuration, logger: logger, body)
    }

    private static func format(_ duration: Duration) -> String {
        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return String(format: "%.1f ms", milliseconds)
    }
}
