import Prometheus

/// The relay's Prometheus metrics, in the registry the process exposes on `/metrics`.
public struct RelayMetrics: Sendable {
    let published: Counter
    let republished: Counter
    let resyncs: Counter
    let lastPublished: Gauge
    let leader: Gauge
    let halted: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        func name(_ metric: String, _ unit: String? = nil, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "reprise", subsystem: "relay", metricName: metric, unitName: unit ?? "", helpText: help)
        }
        published = registry.makeCounter(descriptor: name("published", "total", "Events published to JetStream."))
        republished = registry.makeCounter(
            descriptor: name("republished", "total", "Events published again because the stream had lost them (self-healing).")
        )
        resyncs = registry.makeCounter(
            descriptor: name("resyncs", "total", "Times the relay re-read the stream tail: at start, after a failed publish, on a check.")
        )
        lastPublished = registry.makeGauge(
            descriptor: name("last_published_sequence", nil, "Global sequence of the last event the stream acknowledged.")
        )
        leader = registry.makeGauge(descriptor: name("leader", nil, "1 while this relay is the leader."))
        halted = registry.makeGauge(descriptor: name(
            "halted", nil, "1 while the relay publishes nothing because the stream contradicts the log (see reprise stream rebuild)."
        ))
    }
}
