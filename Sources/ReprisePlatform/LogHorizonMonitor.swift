import Logging
import Postgres
import Prometheus
import RepriseEventStore
import ServiceLifecycle

/// Publishes the age of the log's visibility horizon as Prometheus gauges, read every
/// `interval` on the monitoring pool; `ops/prometheus/alerts.yml` alerts on it.
///
/// `reprise_postgres_horizon_age_seconds` is how long the oldest open transaction that holds
/// a transaction id has run: while it runs, the relay and every other follower of the log
/// stop at it. `reprise_postgres_horizon_age_transactions` counts the ids assigned since.
struct LogHorizonMonitor: Service {
    let pool: PostgresConnectionPool
    let interval: Duration
    let logger: Logger
    private let seconds: Gauge
    private let transactions: Gauge

    init(pool: PostgresConnectionPool, interval: Duration, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.pool = pool
        self.interval = interval
        self.logger = logger
        seconds = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "reprise", subsystem: "postgres", metricName: "horizon_age", unitName: "seconds",
            helpText: "Seconds the oldest open transaction holding a transaction id has run; followers of the log stop at it."
        ))
        transactions = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "reprise", subsystem: "postgres", metricName: "horizon_age", unitName: "transactions",
            helpText: "Transaction ids assigned since the visibility horizon."
        ))
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let age = try await LogHorizonAge.read(on: pool)
                    seconds.set(age.seconds)
                    transactions.set(Double(age.transactions))
                } catch {
                    logger.debug("Could not read the visibility horizon", metadata: ["postgres.error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
