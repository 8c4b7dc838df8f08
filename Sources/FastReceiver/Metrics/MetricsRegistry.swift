/// Everything `/metrics` reports, rendered in the Prometheus text exposition format 0.0.4.
///
/// Holds each worker's and each journal's counter blocks (summed on scrape) and gauges read at
/// scrape time. Rendering allocates; counting never does.
public final class MetricsRegistry: Sendable {
    /// A value read when scraped.
    public struct Gauge: Sendable {
        public let name: String
        public let help: String
        public let read: @Sendable () -> Double

        public init(name: String, help: String, read: @escaping @Sendable () -> Double) {
            self.name = name
            self.help = help
            self.read = read
        }
    }

    public let workers: [WorkerMetrics]
    public let journals: [JournalMetrics]
    public let gauges: [Gauge]

    public init(workers: [WorkerMetrics], journals: [JournalMetrics], gauges: [Gauge]) {
        self.workers = workers
        self.journals = journals
        self.gauges = gauges
    }

    /// Totals across all workers, e.g. for a shutdown summary.
    public var totals: (responses: Int64, accepted: Int64, duplicates: Int64, rejected: Int64) {
        let responses = workers.reduce(0) { sum, worker in
            sum + (0...WorkerMetrics.statuses.count).reduce(0) { $0 + worker.responses(at: $1) }
        }
        let rejected = workers.reduce(0) { sum, worker in
            sum + SignatureRejection.labels.indices.reduce(0) { $0 + worker.rejections(at: $1) }
        }
        return (responses, workers.reduce(0) { $0 + $1.accepted }, workers.reduce(0) { $0 + $1.duplicates }, rejected)
    }

    public static let contentType: StaticString = "text/plain; version=0.0.4; charset=utf-8"

    /// The exposition text.
    public func render() -> String {
        var out = ""
        out += "# HELP fast_receiver_http_responses_total HTTP responses sent, by status code.\n"
        out += "# TYPE fast_receiver_http_responses_total counter\n"
        for (position, status) in WorkerMetrics.statuses.enumerated() {
            out += "fast_receiver_http_responses_total{code=\"\(status)\"} \(workers.reduce(0) { $0 + $1.responses(at: position) })\n"
        }
        out += "fast_receiver_http_responses_total{code=\"other\"} \(workers.reduce(0) { $0 + $1.responses(at: WorkerMetrics.statuses.count) })\n"

        out += "# HELP fast_receiver_events_total Verified events, by outcome: stored, or a duplicate of one already stored.\n"
        out += "# TYPE fast_receiver_events_total counter\n"
        out += "fast_receiver_events_total{outcome=\"accepted\"} \(workers.reduce(0) { $0 + $1.accepted })\n"
        out += "fast_receiver_events_total{outcome=\"duplicate\"} \(workers.reduce(0) { $0 + $1.duplicates })\n"

        out += "# HELP fast_receiver_events_rejected_total Requests refused with 401, by reason.\n"
        out += "# TYPE fast_receiver_events_rejected_total counter\n"
        for (position, label) in SignatureRejection.labels.enumerated() {
            out += "fast_receiver_events_rejected_total{reason=\"\(label)\"} \(workers.reduce(0) { $0 + $1.rejections(at: position) })\n"
        }

        out += "# HELP fast_receiver_received_bytes_total Bytes read from clients.\n"
        out += "# TYPE fast_receiver_received_bytes_total counter\n"
        out += "fast_receiver_received_bytes_total \(workers.reduce(0) { $0 + $1.bytesReceived })\n"

        out += "# HELP fast_receiver_verification_failures_total Requests that could not be verified because OpenSSL failed (answered 500).\n"
        out += "# TYPE fast_receiver_verification_failures_total counter\n"
        out += "fast_receiver_verification_failures_total \(workers.reduce(0) { $0 + $1.cryptoFailures })\n"

        out += "# HELP fast_receiver_secret_reload_failures_total Worker threads that could not take up reloaded secrets and kept the previous ones.\n"
        out += "# TYPE fast_receiver_secret_reload_failures_total counter\n"
        out += "fast_receiver_secret_reload_failures_total \(workers.reduce(0) { $0 + $1.secretReloadFailures })\n"

        out += "# HELP fast_receiver_large_buffers_in_use Large input buffers held by requests whose body does not fit the pooled small buffer.\n"
        out += "# TYPE fast_receiver_large_buffers_in_use gauge\n"
        out += "fast_receiver_large_buffers_in_use \(workers.reduce(0) { $0 + $1.largeBuffersInUse })\n"

        for gauge in gauges {
            out += "# HELP \(gauge.name) \(gauge.help)\n# TYPE \(gauge.name) gauge\n\(gauge.name) \(Self.format(gauge.read()))\n"
        }

        histogram(&out, name: "fast_receiver_request_duration_seconds",
                  help: "Time from a request's first byte to its answer, including waiting for storage.",
                  parts: workers.map(\.latency), divisor: 1_000_000)
        histogram(&out, name: "fast_receiver_journal_fsync_duration_seconds", help: "Duration of each group commit's fdatasync.",
                  parts: journals.map(\.syncLatency), divisor: 1_000_000)
        histogram(&out, name: "fast_receiver_journal_batch_records", help: "Records per group commit (one write and one fdatasync).",
                  parts: journals.map(\.batchSize), divisor: 1)
        return out
    }

    /// - Parameter divisor: what turns the recorded unit into the exposed one (1 000 000 for µs → s).
    private func histogram(_ out: inout String, name: String, help: String, parts: [FixedHistogram], divisor: Double) {
        guard let bounds = parts.first?.bounds else { return }
        var buckets = [Int64](repeating: 0, count: bounds.count + 1)
        var count: Int64 = 0
        var sum: Int64 = 0
        for part in parts {
            let snapshot = part.snapshot()
            for index in buckets.indices { buckets[index] += snapshot.buckets[index] }
            count += snapshot.count
            sum += snapshot.sum
        }
        out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        var cumulative: Int64 = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += buckets[index]
            out += "\(name)_bucket{le=\"\(Self.format(Double(bound) / divisor))\"} \(cumulative)\n"
        }
        cumulative += buckets[bounds.count]
        out += "\(name)_bucket{le=\"+Inf\"} \(cumulative)\n"
        out += "\(name)_sum \(Self.format(Double(sum) / divisor))\n"
        out += "\(name)_count \(count)\n"
    }

    private static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
