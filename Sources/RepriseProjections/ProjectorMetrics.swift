import Prometheus

/// The projectors' Prometheus metrics, labelled by projection.
public struct ProjectorMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    private func name(_ metric: String, _ unit: String?, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "reprise", subsystem: "projector", metricName: metric, unitName: unit ?? "", helpText: help)
    }

    func applied(_ projection: String, count: Int) {
        guard count > 0 else { return }
        registry.makeCounter(descriptor: name("applied_events", "total", "Events applied to the live read model."), labels: [("projection", projection)])
            .increment(by: Int64(count))
    }

    func deadLettered(_ projection: String) {
        registry.makeCounter(descriptor: name("dead_letters", "total", "Poison events moved to projection_dead_letters."), labels: [("projection", projection)])
            .increment()
    }

    func checkpoint(_ projection: String, _ sequence: UInt64) {
        registry.makeGauge(descriptor: name("checkpoint", nil, "Global sequence the live read model has applied."), labels: [("projection", projection)])
            .set(Int64(clamping: sequence))
    }

    /// `events`: messages the consumer has not delivered yet; `seconds`: how old the last
    /// applied event is while more are waiting, else 0.
    func lag(_ projection: String, events: UInt64, seconds: Double) {
        registry.makeGauge(descriptor: name("lag_events", nil, "Events in the stream not yet applied."), labels: [("projection", projection)])
            .set(Int64(clamping: events))
        registry.makeGauge(descriptor: name("lag", "seconds", "Age of the last applied event while more wait, else 0."), labels: [("projection", projection)])
            .set(seconds)
    }

    /// A batch failed for a reason outside the events (a lost connection, a timeout) and
    /// will be retried after a backoff.
    func failed(_ projection: String) {
        registry.makeCounter(
            descriptor: name("batch_failures", "total", "Batches that failed for a reason outside the events and were retried."),
            labels: [("projection", projection)]
        ).increment()
    }

    func stopped(_ projection: String, _ isStopped: Bool) {
        registry.makeGauge(descriptor: name("stopped", nil, "1 while the projector is stopped at a poison event."), labels: [("projection", projection)])
            .set(Int64(isStopped ? 1 : 0))
    }
}
