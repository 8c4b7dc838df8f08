import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@testable import FastReceiverSystem
@testable import FastReceiverTools
@testable import FastReceiverVerification

/// Every latency as recorded, so a report's percentiles can be checked against the values.
struct RecordedLatencies: LatencyRecorder {
    var values: [UInt64] = []

    mutating func record(microseconds: UInt64) { values.append(microseconds) }

    func microseconds(atPercentile percentile: Double) -> UInt64 {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((percentile / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    var maxMicroseconds: UInt64 { values.max() ?? 0 }
}

@Suite(.serialized) struct LoadGeneratorTests {
    static func run(_ plan: LoadPlan, url: String, factory: DTEventFactory) throws -> (LoadReport, RecordedLatencies) {
        let endpoint = try HTTPClientConnection.Endpoint(url: url)
        let supply = try SignedRequestSupply(factory: factory, endpoint: endpoint, types: DTEventFactory.EventType.allCases, plan: plan)
        var generator = try LoadGenerator(endpoint: endpoint, plan: plan, supply: supply, recorder: RecordedLatencies())
        let report = try generator.run()
        return (report, generator.recorder)
    }

    static func expectOrdered(_ latency: LatencyPercentiles) {
        #expect(latency.p50 <= latency.p90 && latency.p90 <= latency.p99 && latency.p99 <= latency.p999 && latency.p999 <= latency.max,
                "\(latency)")
    }

    @Test("Closed loop: N requests over C connections store exactly N events, all answered 2xx")
    func closedLoop() throws {
        let server = try TestServer()
        let (report, latencies) = try Self.run(try LoadPlan(connections: 8, count: 400), url: server.url, factory: server.factory)
        #expect(report.sent == 400)
        #expect(report.statuses == [200: 400])
        #expect(report.connectionErrors == 0 && report.timeouts == 0 && report.redelivered == 0)
        #expect(report.isSuccess)
        #expect(latencies.values.count == 400)
        Self.expectOrdered(report.latency)
        #expect(server.storedLines().count == 400)
    }

    @Test("More requests than the signed pool: the rest are signed in the background, still distinct events")
    func beyondThePool() throws {
        let server = try TestServer()
        let plan = try LoadPlan(connections: 4, count: 600, poolLimit: 50)
        let (report, _) = try Self.run(plan, url: server.url, factory: server.factory)
        #expect(report.statuses == [200: 600])
        // Only a signer starved of CPU falls back to resending, and then says so.
        #expect(server.storedLines().count == 600 - report.redelivered)
    }

    @Test("Open loop at a modest rate: no faster than its schedule, every request answered, percentiles in order")
    func openLoop() throws {
        let server = try TestServer()
        let plan = try LoadPlan(rate: 200, connections: 8, duration: 1)
        let (report, latencies) = try Self.run(plan, url: server.url, factory: server.factory)
        #expect(report.sent == 200)
        #expect(report.statuses == [200: 200])
        // The last request is due at 0.995 s: the run cannot be faster than its schedule (how much
        // slower a busy machine makes it is for benchmarks to say).
        #expect(report.seconds >= 0.99)
        #expect(report.achievedRate <= 202, "\(report.achievedRate) req/s")
        Self.expectOrdered(report.latency)
        #expect(report.latency.max == latencies.values.max())
        #expect(server.storedLines().count == 200)
    }

    @Test("Open loop measures from the schedule: requests due while the server stalls carry the stall")
    func coordinatedOmission() throws {
        // One connection, 100 requests/s; the server holds its 10th answer for 300 ms. The ~30
        // requests due meanwhile wait in the generator, and that wait is their latency.
        let server = try StallingServer(stallAt: 10, stallMilliseconds: 300)
        let plan = try LoadPlan(rate: 100, connections: 1, duration: 0.6)
        let (report, latencies) = try Self.run(plan, url: server.url, factory: DTEventFactory(secret: SignatureSecret("any")!))
        #expect(report.statuses == [200: 60])
        #expect(report.latency.max >= 300_000)
        #expect(latencies.values.filter { $0 >= 100_000 }.count >= 15, "\(latencies.values)")
    }

    @Test("Wrong secret: every answer is a 401, nothing is stored, and the run counts as failed")
    func wrongSecret() throws {
        let server = try TestServer()
        let (report, _) = try Self.run(try LoadPlan(connections: 4, count: 40), url: server.url,
                                       factory: DTEventFactory(secret: SignatureSecret("not-the-server-secret")!))
        #expect(report.statuses == [401: 40])
        #expect(report.successes == 0)
        #expect(!report.isSuccess)
        #expect(server.storedLines().isEmpty)
    }

    @Test("fast-receiver send --json: exit 0 and all 2xx with the right secret; exit 1 and 401s with a wrong one")
    func commandExitStatus() throws {
        let server = try TestServer()
        for (secret, status, key) in [(TestServer.secret, Int32(0), "200"), ("not-the-server-secret", Int32(1), "401")] {
            var environment = ProcessInfo.processInfo.environment
            environment["DT_SIGNATURE_SECRET"] = secret
            let child = try ChildProcess(arguments: ["send", "--url", server.url, "--count", "30", "--concurrency", "4", "--json"],
                                         environment: environment)
            #expect(child.waitForExit(timeout: 60) == status, "\(child.standardError)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(child.standardOutput.utf8)) as? [String: Any])
            #expect(summary["sent"] as? Int == 30)
            #expect((summary["statuses"] as? [String: Int])?[key] == 30)
            let latency = try #require(summary["latencyMicroseconds"] as? [String: Int])
            let ordered = ["p50", "p90", "p99", "p999", "max"].compactMap { latency[$0] }
            #expect(ordered.count == 5 && ordered == ordered.sorted() && ordered[0] > 0, "\(latency)")
        }
        #expect(server.storedLines().count == 30)
    }

    @Test("No receiver listening: the run fails before its clock starts, saying why")
    func nothingListening() throws {
        // A bound socket that never listens refuses connections.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                guard bind(holder, $0, length) == 0, getsockname(holder, $0, &length) == 0 else { throw SystemError("bind") }
            }
        }
        let url = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))/"
        let factory = DTEventFactory(secret: SignatureSecret("any")!)
        #expect(throws: SystemError.self) { try Self.run(try LoadPlan(connections: 2, count: 5), url: url, factory: factory) }
    }
}

/// A one-connection HTTP server on 127.0.0.1 that answers each request `200 OK` at once, except
/// request number `stallAt`, which it holds for `stallMilliseconds` first.
final class StallingServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32

    init(stallAt: Int, stallMilliseconds: Int) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let descriptor = listener
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                guard bind(descriptor, $0, length) == 0, listen(descriptor, 8) == 0, getsockname(descriptor, $0, &length) == 0 else {
                    throw SystemError("bind")
                }
            }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { Self.serve(listener: descriptor, stallAt: stallAt, stallMilliseconds: stallMilliseconds) }.start()
    }

    deinit { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    var url: String { "http://127.0.0.1:\(port)/" }

    private static func serve(listener: Int32, stallAt: Int, stallMilliseconds: Int) {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return }
        defer { close(connection) }
        var time = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var answered = 0
        while true {
            // A whole request: head, then Content-Length bytes of body.
            while let headEnd = pending.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound {
                let head = String(decoding: pending[..<headEnd], as: UTF8.self).lowercased()
                let length = head.firstMatch(of: /content-length: *(\d+)/).flatMap { Int($0.1) } ?? 0
                guard pending.count >= headEnd + length else { break }
                pending.removeFirst(headEnd + length)
                answered += 1
                if answered == stallAt { usleep(useconds_t(stallMilliseconds * 1000)) }
                let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK".utf8)
                guard send(connection, answer, answer.count, Int32(MSG_NOSIGNAL)) == answer.count else { return }
            }
            let received = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard received > 0 else { return }
            pending += buffer[..<received]
        }
    }
}
