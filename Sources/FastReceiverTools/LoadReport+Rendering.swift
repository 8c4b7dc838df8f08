internal import Foundation

extension LoadReport {
    /// The report for a person: a few aligned lines.
    public var summary: String {
        let mode = plan.rate.map { "open loop at \(Self.number($0)) req/s" } ?? "closed loop"
        let answers = statuses.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", ")
        var lines = [
            "\(mode), \(plan.connections) connection\(plan.connections == 1 ? "" : "s")",
            "requests  \(sent) sent, \(answered) answered in \(String(format: "%.2f", seconds)) s: \(Self.number(achievedRate)) req/s",
            "answers   2xx \(successes), non-2xx \(answered - successes)\(answers.isEmpty ? "" : " (\(answers))")",
            "errors    \(connectionErrors) connection, \(timeouts) timed out",
            "latency   p50 \(Self.milliseconds(latency.p50))  p90 \(Self.milliseconds(latency.p90))  p99 \(Self.milliseconds(latency.p99))  "
                + "p99.9 \(Self.milliseconds(latency.p999))  max \(Self.milliseconds(latency.max)) ms",
        ]
        if redelivered > 0 {
            lines.append("note      \(redelivered) requests resent an event already sent (signing fell behind): the receiver saw them as redeliveries")
        }
        return lines.joined(separator: "\n")
    }

    /// The report for scripts: one JSON object on one line. Latencies are in microseconds.
    public var json: String {
        let statusMembers = statuses.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
        let members = [
            "\"mode\":\"\(plan.isOpenLoop ? "open-loop" : "closed-loop")\"",
            "\"targetRate\":\(plan.rate.map { Self.number($0) } ?? "null")",
            "\"connections\":\(plan.connections)",
            "\"sent\":\(sent)",
            "\"answered\":\(answered)",
            "\"seconds\":\(String(format: "%.3f", seconds))",
            "\"rate\":\(String(format: "%.1f", achievedRate))",
            "\"status2xx\":\(successes)",
            "\"non2xx\":\(answered - successes)",
            "\"statuses\":{\(statusMembers)}",
            "\"connectionErrors\":\(connectionErrors)",
            "\"timeouts\":\(timeouts)",
            "\"redelivered\":\(redelivered)",
            "\"latencyMicroseconds\":{\"p50\":\(latency.p50),\"p90\":\(latency.p90),\"p99\":\(latency.p99),\"p999\":\(latency.p999),\"max\":\(latency.max)}",
        ]
        return "{" + members.joined(separator: ",") + "}"
    }

    /// A rate without a fraction when it has none.
    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.1f", value)
    }

    private static func milliseconds(_ microseconds: UInt64) -> String {
        String(format: "%.3f", Double(microseconds) / 1000)
    }
}
