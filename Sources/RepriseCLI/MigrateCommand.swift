import ArgumentParser
import Foundation
import Postgres
import RepriseMigrations
import RepriseSettings

/// Applies pending SQL migrations, or with `--status` only reports them.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the numbered SQL migrations that are not applied yet.",
        discussion: """
            Each migration runs in its own transaction and is recorded with a checksum. \
            A migration that was edited after it was applied is refused. Several runners \
            started at once take turns; each migration is applied once.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("migrations-dir"), help: "Folder of NNNN_name.sql files [env: REPRISE_MIGRATIONS_DIR]")
    var migrationsDirectory: String?

    @Flag(help: "Only report applied and pending migrations; change nothing.")
    var status = false

    func run() async throws {
        let options = try common.resolve()
        let logger = options.makeLogger(label: "reprise.migrate")
        let directory = SettingsResolver(environment: ProcessInfo.processInfo.environment)
            .resolve(Settings.migrationsDirectory, flag: migrationsDirectory).value
        let runner = MigrationRunner(migrations: try Migration.load(from: directory), logger: logger)

        let connection = try await PostgresConnection.connect(PostgresConfiguration(url: options.postgresURL.value), logger: logger)
        do {
            if status {
                let report = try await runner.status(on: connection)
                for applied in report.applied {
                    print("applied  \(String(format: "%04d", applied.version))_\(applied.name)")
                }
                for pending in report.pending {
                    print("pending  \(pending.fileName)")
                }
                print(report.isCurrent ? "database is current" : "\(report.pending.count) migration(s) pending")
            } else {
                let applied = try await runner.migrate(on: connection)
                for migration in applied {
                    print("applied  \(migration.fileName)")
                }
                print(applied.isEmpty ? "database is current; nothing to apply" : "applied \(applied.count) migration(s)")
            }
            await connection.close()
        } catch {
            await connection.close()
            throw error
        }
    }
}
