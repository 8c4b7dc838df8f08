/// The Prometheus text exposition format 0.0.4, written family by family.
///
/// Knows nothing of what is counted: names, help texts, labels and their values are the
/// caller's. Writing allocates; it runs on a scrape, never on the request path.
public struct PrometheusExposition {
    /// The `Content-Type` of the text.
    public static let contentType: StaticString = "text/plain; version=0.0.4; charset=utf-8"

    /// The exposition so far.
    public private(set) var text = ""

    public init() {}

    /// A counter family with one sample per label value: `name{label="value"} count`.
    /// - Parameter samples: label values and their counts, in the order to write them.
    public mutating func counter(_ name: String, help: String, label: String, samples: [(value: String, count: Int64)]) {
        header(name, help: help, type: "counter")
        for sample in samples {
            text += "\(name){\(label)=\"\(sample.value)\"} \(sample.count)\n"
        }
    }

    /// A counter family with one unlabelled sample.
    public mutating func counter(_ name: String, help: String, value: Int64) {
        header(name, help: help, type: "counter")
        text += "\(name) \(value)\n"
    }

    /// A gauge family with one unlabelled sample.
    public mutating func gauge(_ name: String, help: String, value: Double) {
        header(name, help: help, type: "gauge")
        text += "\(name) \(Self.format(value))\n"
    }

    /// A histogram family: the sum of `parts`, which share their bounds, with cumulative buckets.
    /// - Parameter divisor: what turns the recorded unit into the exposed one (1 000 000 for µs → s).
    public mutating func histogram(_ name: String, help: String, parts: [FixedHistogram], divisor: Double) {
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
        header(name, help: help, type: "histogram")
        var cumulative: Int64 = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += buckets[index]
            text += "\(name)_bucket{le=\"\(Self.format(Double(bound) / divisor))\"} \(cumulative)\n"
        }
        cumulative += buckets[bounds.count]
        text += "\(name)_bucket{le=\"+Inf\"} \(cumulative)\n"
        text += "\(name)_sum \(Self.format(Double(sum) / divisor))\n"
        text += "\(name)_count \(count)\n"
    }

    private mutating func header(_ name: String, help: String, type: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    /// A whole number without a fraction, `NaN` and `±Inf` as the format spells them, anything
    /// else as Swift prints a `Double`.
    private static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
