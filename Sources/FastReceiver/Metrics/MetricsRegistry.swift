internal import FastReceiverForwarding
internal import FastReceiverMetrics
internal import FastReceiverStorage
internal import FastReceiverTransport
internal import FastReceiverVerification

/// Everything `/metrics` reports, rendered in the Prometheus text exposition format 0.0.4.
///
/// Holds each worker's transport and ingest counters and each journal's counters (summed on
/// scrape) and gauges read at scrape time. Rendering allocates; counting never does.
public final class MetricsRegistry: Sendable {
    let workers: [WorkerMetrics]
    let ingest: [IngestMetrics]
    let journals: [JournalMetrics]
    let forwarding: ForwardingMetrics?
    let gauges: [Gauge]

    init(workers: [WorkerMetrics], ingest: [IngestMetrics], journals: [JournalMetrics], forwarding: ForwardingMetrics?, gauges: [Gauge]) {
        self.workers = workers
        self.ingest = ingest
        self.journals = journals
        self.forwarding = forwarding
        self.gauges = gauges
    }

    /// Totals across all workers, e.g. for a shutdown summary.
    public var totals: (responses: Int64, accepted: Int64, duplicates: Int64, rejected: Int64) {
        let responses = workers.reduce(0) { sum, worker in
            sum + (0...WorkerMetrics.statuses.count).reduce(0) { $0 + worker.responses(at: $1) }
        }
        let rejected = ingest.reduce(0) { sum, worker in
            sum + SignatureRejection.labels.indices.reduce(0) { $0 + worker.rejections(at: $1) }
        }
        return (responses, ingest.reduce(0) { $0 + $1.accepted }, ingest.reduce(0) { $0 + $1.duplicates }, rejected)
    }

    static var contentType: StaticString { PrometheusExposition.contentType }

    /// The exposition text.
    public func render() -> String {
        var out = PrometheusExposition()
        let codes = WorkerMetrics.statuses.map(String.init) + ["other"]
        out.counter("fast_receiver_http_responses_total", help: "HTTP responses sent, by status code.", label: "code",
                    samples: codes.enumerated().map { position, code in (code, workers.reduce(0) { $0 + $1.responses(at: position) }) })
        out.counter("fast_receiver_events_total", help: "Verified events, by outcome: stored, or a duplicate of one already stored.",
                    label: "outcome",
                    samples: [("accepted", ingest.reduce(0) { $0 + $1.accepted }), ("duplicate", ingest.reduce(0) { $0 + $1.duplicates })])
        out.counter("fast_receiver_events_rejected_total", help: "Requests refused with 401, by reason.", label: "reason",
                    samples: SignatureRejection.labels.enumerated().map { position, label in
                        (label, ingest.reduce(0) { $0 + $1.rejections(at: position) })
                    })
        out.counter("fast_receiver_received_bytes_total", help: "Bytes read from clients.", value: workers.reduce(0) { $0 + $1.bytesReceived })
        out.counter("fast_receiver_verification_failures_total",
                    help: "Requests that could not be verified because OpenSSL failed (answered 500).",
                    value: ingest.reduce(0) { $0 + $1.cryptoFailures })
        out.counter("fast_receiver_secret_reload_failures_total",
                    help: "Worker threads that could not take up reloaded secrets and kept the previous ones.",
                    value: ingest.reduce(0) { $0 + $1.secretReloadFailures })
        out.gauge("fast_receiver_large_buffers_in_use",
                  help: "Large input buffers held by requests whose body does not fit the pooled small buffer.",
                  value: Double(workers.reduce(0) { $0 + $1.largeBuffersInUse }))
        for gauge in gauges {
            out.gauge(gauge.name, help: gauge.help, value: gauge.read())
        }
        out.histogram("fast_receiver_request_duration_seconds",
                      help: "Time from a request's first byte to its answer, including waiting for storage.",
                      parts: workers.map(\.latency), divisor: 1_000_000)
        out.histogram("fast_receiver_journal_fsync_duration_seconds", help: "Duration of each group commit's fdatasync.",
                      parts: journals.map(\.syncLatency), divisor: 1_000_000)
        out.histogram("fast_receiver_journal_batch_records", help: "Records per group commit (one write and one fdatasync).",
                      parts: journals.map(\.batchSize), divisor: 1)
        forwarding?.render(into: &out)
        return out.text
    }
}
