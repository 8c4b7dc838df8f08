import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiverTools
@testable import FastReceiverVerification

@Suite(.serialized) struct MetricsTests {
    /// The value of one sample line, e.g. `fast_receiver_events_total{outcome="accepted"}`.
    static func value(_ text: String, _ sample: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1))
        }
        return nil
    }

    @Test("/metrics counts requests, events, duplicates and refusals as traffic flows")
    func countersMove() throws {
        let server = try TestServer()
        let connection = try server.client()
        let before = try connection.request(method: "GET", path: "/metrics")
        #expect(before.status == 200)
        #expect(before.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(Self.value(before.bodyText, "fast_receiver_events_total{outcome=\"accepted\"}") == 0)

        let request = try server.factory.request(type: .touch)
        for _ in 0..<3 { #expect(try connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"]).status == 200) }
        let forged = try DTEventFactory(secret: SignatureSecret("wrong")!).request(type: .touch)
        #expect(try connection.post(body: forged.body, headers: ["X-Dt-Signature: \(forged.signature)"]).status == 401)
        #expect(try connection.request(method: "GET", path: "/nope").status == 404)

        let text = try connection.request(method: "GET", path: "/metrics").bodyText
        #expect(Self.value(text, "fast_receiver_events_total{outcome=\"accepted\"}") == 1)
        #expect(Self.value(text, "fast_receiver_events_total{outcome=\"duplicate\"}") == 2)
        #expect(Self.value(text, "fast_receiver_events_rejected_total{reason=\"signature_mismatch\"}") == 1)
        #expect(Self.value(text, "fast_receiver_http_responses_total{code=\"200\"}") == 4)  // 3 events + the first scrape
        #expect(Self.value(text, "fast_receiver_http_responses_total{code=\"401\"}") == 1)
        #expect(Self.value(text, "fast_receiver_http_responses_total{code=\"404\"}") == 1)
        #expect((Self.value(text, "fast_receiver_received_bytes_total") ?? 0) > Double(3 * request.body.count))
        #expect(Self.value(text, "fast_receiver_dedupe_entries") == 1)
        #expect(Self.value(text, "fast_receiver_ready") == 1)
        #expect((Self.value(text, "fast_receiver_journal_segments") ?? 0) >= 1)
        #expect(Self.value(text, "fast_receiver_request_duration_seconds_count") == 6)
        #expect(Self.value(text, "fast_receiver_journal_batch_records_bucket{le=\"+Inf\"}") == 1)
        #expect(Self.value(text, "fast_receiver_journal_fsync_duration_seconds_count") == 1)
        // The 401 closed its connection and the client opened another. The server counts the
        // refused one until its lingering close sees the client's close, which a scrape may beat.
        #expect(try waitUntil {
            Self.value(try connection.request(method: "GET", path: "/metrics").bodyText, "fast_receiver_open_connections") == 1
        })
    }

    @Test("The exposition parses with the Prometheus client library's parser")
    func parsesWithPrometheus() throws {
        let server = try TestServer()
        _ = try server.postValidEvent()
        let text = try server.client().request(method: "GET", path: "/metrics").bodyText
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            families = list(text_string_to_metric_families(sys.stdin.read()))
            names = {f.name for f in families}
            for wanted in ["fast_receiver_http_responses", "fast_receiver_events", "fast_receiver_events_rejected",
                           "fast_receiver_request_duration_seconds", "fast_receiver_journal_fsync_duration_seconds",
                           "fast_receiver_journal_batch_records", "fast_receiver_open_connections"]:
                assert wanted in names, wanted
            print(len(families))
            """
        let check = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3", "-c", "import prometheus_client"])
        guard check.waitForExit(timeout: 60) == 0 else {
            print("skipped: the Prometheus parser (pip install prometheus-client) is not installed; .ci/run installs it")
            return
        }
        let exposition = NSTemporaryDirectory() + "fast-receiver-metrics-\(UUID().uuidString)"
        defer { unlink(exposition) }
        try text.write(toFile: exposition, atomically: true, encoding: .utf8)
        let parser = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3", "-c", script], standardInput: exposition)
        #expect(parser.waitForExit(timeout: 60) == 0, "\(parser.standardError)")
        let families = Int(parser.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect((families ?? 0) >= 10)
    }
}
