import Prometheus

/// The API's Prometheus metrics, in a registry of its own: nothing is bootstrapped globally,
/// so each server (and each test) counts only its own requests.
public final class APIMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]
    private static let knownMethods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    /// `registry`: shared with the relay and projectors of the same process, so `/metrics` shows them too.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// `route` is the matched template, never the raw path, so labels stay few.
    func requestHandled(method: String, route: String, status: Int, duration: Duration) {
        let method = Self.knownMethods.contains(method) ? method : "other"
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "reprise", subsystem: "http", metricName: "requests", unitName: "total", helpText: "HTTP requests by route and status."),
            labels: [("method", method), ("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "reprise", subsystem: "http", metricName: "request_duration", unitName: "seconds", helpText: "HTTP request latency by route."),
            labels: [("method", method), ("route", route)],
            buckets: Self.durationBuckets
        ).record(duration)
    }

    func eventsAppended(_ count: Int) {
        guard count > 0 else { return }
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "reprise", subsystem: "api", metricName: "events_appended", unitName: "total", helpText: "Events appended by API commands.")
        ).increment(by: Int64(count))
    }

    /// `kind`: `version_mismatch` (a stale If-Match) or `conflict` (lost races, retries exhausted).
    func conflict(_ kind: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "reprise", subsystem: "api", metricName: "conflicts", unitName: "total", helpText: "Commands refused for version conflicts."),
            labels: [("kind", kind)]
        ).increment()
    }

    /// The Prometheus text exposition format.
    func exposition() -> String { registry.emitToString() }
}
