import ArgumentParser
import Foundation
import Logging
import NATS
import Postgres
import Prometheus
import RepriseRelay
import ServiceLifecycle

/// `reprise relay`: publishes the event log to JetStream until SIGTERM or SIGINT. Start as
/// many as you like; one leads, the others stand by.
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Publish the event log to the JetStream stream EVENTS, in order; one leader at a time."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let options = try common.resolve()
        let logger = options.makeLogger(label: "reprise.relay")
        let nats = try await NATSConnection.connect(url: options.natsURL.value, name: "reprise-relay", logger: logger)
        let relay = Relay(
            postgres: PostgresConfiguration(url: options.postgresURL.value), jetStream: try nats.jetStream(),
            metrics: RelayMetrics(registry: PrometheusCollectorRegistry()), logger: logger
        )
        let group = ServiceGroup(configuration: .init(
            services: [relay], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        do {
            try await group.run()
        } catch let error as RelayError {
            await nats.close()
            throw CLIFailure(error.description)
        }
        await nats.close()
    }
}
