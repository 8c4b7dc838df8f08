import FastReceiver
import FastReceiverForwarding
import FastReceiverPostgres
import FastReceiverTestSupport
import Foundation
import Glibc
import PostgresTestSupport
import Testing

@testable import FastReceiverStorage
@testable import FastReceiverTools
@testable import FastReceiverVerification

/// `serve` and `forward` with a real PostgreSQL: events arrive once each whatever happens to the
/// database or the receiver, and ingestion never waits on the database.
@Suite(.serialized, .enabled(if: TestPostgres.shouldRun, "needs PostgreSQL's server binaries (apt-get install postgresql-15)"))
struct ForwardingServeTests {
    /// Rows in `dt_events`, or -1 while PostgreSQL cannot be asked.
    static func rows(_ server: TestPostgres, where condition: String = "true") -> Int64 {
        guard let connection = try? PostgresConnection(url: server.url),
              let result = try? connection.execute("SELECT count(*) FROM dt_events WHERE \(condition)")
        else { return -1 }
        return (try? result.int64(row: 0, column: 0)) ?? -1
    }

    /// A receiver in this process forwarding to `server`, pausing at most 200 ms between attempts.
    static func receiver(_ server: TestPostgres, url: String? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> TestServer {
        let tables = try #require(PostgresIdentifier("dt_events").flatMap(ForwardingTables.init))
        var settings = ForwardingSettings(connectionString: PostgresConnectionString(url ?? server.url), tables: tables, replica: "test-replica")
        settings.initialBackoffMilliseconds = 20
        settings.maxBackoffMilliseconds = 200
        settings.pollMilliseconds = 10
        return try TestServer { configuration in
            configuration.forwarding = settings
            configure(&configuration)
        }
    }

    static func post(_ count: Int, to receiver: TestServer, type: DTEventFactory.EventType = .temperature) throws -> [String] {
        let connection = try receiver.client()
        return try (0..<count).map { _ in
            let request = try receiver.factory.request(type: type)
            let status = try connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"]).status
            #expect(status == 200)
            return request.eventID
        }
    }

    @Test("Events posted to serve arrive in PostgreSQL once each; /metrics reports forwarding and passes promtool")
    func forwardsWhileServing() throws {
        let server = try TestPostgres()
        let receiver = try Self.receiver(server)
        let ids = try Self.post(300, to: receiver)
        #expect(waitUntil(deadline: .seconds(60)) { Self.rows(server) == 300 })
        // A batch is counted, and forwarding marked up, just after it commits: waited for too.
        var metrics = ""
        #expect(try waitUntil {
            metrics = try receiver.client().request(method: "GET", path: "/metrics").bodyText
            return MetricsTests.value(metrics, "fast_receiver_forward_delay_seconds_count") == 300
                && MetricsTests.value(metrics, "fast_receiver_forward_up") == 1
        })
        #expect(MetricsTests.value(metrics, "fast_receiver_forward_events_total{outcome=\"inserted\"}") == 300)
        #expect(Self.rows(server, where: "event_id = '\(ids[7])' AND device_id IS NOT NULL AND event_time IS NOT NULL") == 1)
        try PromtoolCheck.metrics(metrics)
    }

    @Test("PostgreSQL down when serve starts: serve starts, answers 200 and is ready; events arrive once it is up")
    func databaseDownAtStart() throws {
        let server = try TestPostgres()
        try server.stop()
        let receiver = try Self.receiver(server)
        _ = try Self.post(50, to: receiver)
        #expect(try receiver.client().request(method: "GET", path: "/readyz").status == 200)
        // The forwarder tries on a thread of its own: its first refusal is waited for, not assumed.
        var metrics = ""
        #expect(try waitUntil {
            metrics = try receiver.client().request(method: "GET", path: "/metrics").bodyText
            return (MetricsTests.value(metrics, "fast_receiver_forward_errors_total{cause=\"connection_refused\"}") ?? 0) >= 1
        })
        #expect(MetricsTests.value(metrics, "fast_receiver_forward_up") == 0)
        try server.start()
        #expect(waitUntil(deadline: .seconds(60)) { Self.rows(server) == 50 })
    }

    @Test("PostgreSQL stopped -m immediate mid-stream and restarted: every post answered 200, then every event arrives once")
    func databaseCrashMidStream() throws {
        let server = try TestPostgres()
        let receiver = try Self.receiver(server)
        var ids = try Self.post(200, to: receiver)
        #expect(waitUntil(deadline: .seconds(60)) { Self.rows(server) > 0 })
        try server.stop(.immediate)
        ids += try Self.post(200, to: receiver)
        try server.start()
        ids += try Self.post(200, to: receiver)
        #expect(waitUntil(deadline: .seconds(60)) { Self.rows(server) == 600 })
        #expect(Set(ids).count == 600)
        #expect(receiver.receiver.forwarder?.metrics.rejected == 0)
    }

    @Test("At --journal-max-bytes events are answered 503 with Retry-After and /readyz 503; forwarded segments are deleted and it heals")
    func byteCapHeals() throws {
        let server = try TestPostgres()
        try server.stop()
        let cap: Int64 = 192 << 10
        let receiver = try Self.receiver(server) { configuration in
            configuration.journal.segmentMaxBytes = 64 << 10
            // Segments that grow as written: with fsync durability each worker's active segment
            // and its prepared successor take their full size from the start, 256 KiB here,
            // above this cap however much is forwarded and deleted.
            configuration.journal.durability = .write
            configuration.retention = .init(maxAgeMilliseconds: 7 * 86_400_000, maxBytes: cap)
        }
        // PostgreSQL is down: nothing may be deleted, so the journal fills up to its cap. Requests
        // are pipelined, 32 at a time, until the journal is full and stays so: every sealed segment
        // compressed (compression alone frees space for a while; TestServer runs two workers, so
        // two live segments), and retention's last measure taken after the last compression.
        let retention = receiver.receiver.retention
        var accepted: [String] = []
        #expect(waitUntil(deadline: .seconds(120)) {
            guard let requests = try? (0..<32).map({ _ in try receiver.signedRequest() }),
                  let connection = try? RawConnection(port: receiver.port)
            else { return false }
            defer { connection.close() }
            connection.send(requests.flatMap(\.1))
            let statuses = connection.readResponses(requests.count)
            accepted += zip(requests, statuses).filter { $0.1 == 200 }.map(\.0.0.eventID)
            let plain = SegmentName.list(in: receiver.journal.directory).filter { !$0.isCompressed }
            // No compression in progress (its plain segment goes last), the journal at its cap now
            // as retention last measured it, and storage refusing: only deleting can free space.
            let measured = retention.journalBytes
            return statuses.contains { $0 != 200 } && plain.count <= 2 && measured >= cap
                && measured == JournalRetention.bytesOnDisk(retention.directory) && receiver.receiver.status.storage.isFull
        })
        let request = try receiver.factory.request(type: .temperature)
        let refusal = try receiver.client().post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"])
        #expect(refusal.status == 503)
        #expect(refusal.header("Retry-After") == "30")
        #expect(try receiver.client().request(method: "GET", path: "/readyz").status == 503)
        let metrics = try receiver.client().request(method: "GET", path: "/metrics").bodyText
        #expect(try #require(MetricsTests.value(metrics, "fast_receiver_journal_bytes")) >= Double(cap))
        #expect(MetricsTests.value(metrics, "fast_receiver_journal_max_bytes") == Double(cap))
        #expect(MetricsTests.value(metrics, "fast_receiver_journal_segments_deleted_total") == 0)

        // PostgreSQL is back: the forwarder catches up, retention deletes forwarded segments, and
        // events are taken again.
        try server.start()
        #expect(try waitUntil(deadline: .seconds(120)) {
            let connection = try receiver.client()
            let request = try receiver.factory.request(type: .temperature)
            guard try connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"]).status == 200 else { return false }
            accepted.append(request.eventID)
            return true
        })
        #expect(try receiver.client().request(method: "GET", path: "/readyz").status == 200)
        #expect(receiver.receiver.retention.deletedSegments > 0)
        #expect(waitUntil(deadline: .seconds(60)) { Self.rows(server) == Int64(accepted.count) })
        #expect(Set(accepted).count == accepted.count)
    }

    @Test("A password PostgreSQL refuses: serve starts and answers; the logs, /metrics, --help and errors never show it")
    func passwordNeverShown() throws {
        let server = try TestPostgres()
        let password = "Wr0ng-pa55word-\(UInt32.random(in: 0...UInt32.max))"
        let url = server.url(password: password)
        var environment = ShutdownTests.environment(["DATABASE_URL": url, "FAST_RECEIVER_REPLICA": "leak-test"])
        let data = try #require(environment["DATA_DIR"])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let child = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--threads", "1"], environment: environment)
        let port = try child.waitForPort()
        let client = HTTPClientConnection(endpoint: try .init(url: "http://127.0.0.1:\(port)/"))
        let factory = DTEventFactory(secret: SignatureSecret(TestServer.secret)!)
        let request = try factory.request(type: .touch)
        #expect(try client.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"]).status == 200)
        var metrics = ""
        #expect(try waitUntil {
            metrics = try client.request(method: "GET", path: "/metrics").bodyText
            return (MetricsTests.value(metrics, "fast_receiver_forward_errors_total{cause=\"authentication_failed\"}") ?? 0) >= 1
        })
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 30) == 0)
        let log = child.standardError
        #expect(log.contains("cause=authentication_failed"))
        #expect(log.contains("password=***"))

        environment.removeValue(forKey: "DATABASE_URL")
        let help = try ChildProcess(arguments: ["serve", "--help"], environment: environment)
        #expect(help.waitForExit(timeout: 30) == 0)
        let forward = try ChildProcess(arguments: ["forward", "--once", "--data-dir", data, "--database-url", url], environment: environment)
        #expect(forward.waitForExit(timeout: 60) == 1)
        #expect(forward.standardError.contains("PostgreSQL refused the credentials"))
        let malformed = try ChildProcess(arguments: ["forward", "--once", "--data-dir", data, "--database-url", "postgres://u:\(password)@[oops"],
                                         environment: environment)
        #expect(malformed.waitForExit(timeout: 30) == 2)
        for text in [log, metrics, help.standardOutput, help.standardError, forward.standardError, forward.standardOutput,
                     malformed.standardError] {
            #expect(!text.contains(password))
            #expect(!text.contains(server.password))
        }
    }

    @Test("forward --once drains a journal that serve stored without forwarding, and exits 0")
    func forwardOnce() throws {
        let server = try TestPostgres()
        var ids: [String] = []
        let data: String
        do {
            let receiver = try TestServer()
            ids = try Self.post(120, to: receiver)
            ids += try Self.post(30, to: receiver, type: .touch)
            data = receiver.dataDirectory + "-kept"
            try FileManager.default.copyItem(atPath: receiver.dataDirectory, toPath: data)
        }
        defer { try? FileManager.default.removeItem(atPath: data) }
        let environment = ShutdownTests.environment(["DATABASE_URL": server.url])
        let forward = try ChildProcess(arguments: ["forward", "--once", "--data-dir", data, "--replica", "gone-0"], environment: environment)
        #expect(forward.waitForExit(timeout: 120) == 0, "\(forward.standardError)")
        #expect(forward.standardError.contains("drained: 150 inserted"))
        #expect(Self.rows(server) == 150)
        #expect(Self.rows(server, where: "event_type = 'touch'") == 30)
        // The same replica again: its position says everything is there, so nothing is sent.
        let again = try ChildProcess(arguments: ["forward", "--once", "--data-dir", data, "--replica", "gone-0"], environment: environment)
        #expect(again.waitForExit(timeout: 120) == 0)
        #expect(again.standardError.contains("drained: 0 inserted, 0 already in the table"))
    }
}

/// `promtool check metrics` (Debian's `prometheus` package), which .ci/run installs; skipped
/// with a printed reason where it is missing.
enum PromtoolCheck {
    static func metrics(_ exposition: String) throws {
        let which = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "command -v promtool"])
        guard which.waitForExit(timeout: 30) == 0 else {
            print("skipped promtool check metrics: promtool is not installed (apt-get install prometheus)")
            return
        }
        let file = NSTemporaryDirectory() + "fast-receiver-metrics-\(UUID().uuidString)"
        defer { unlink(file) }
        try exposition.write(toFile: file, atomically: true, encoding: .utf8)
        let check = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "promtool check metrics < \"$0\"", file])
        #expect(check.waitForExit(timeout: 60) == 0, "promtool: \(check.standardOutput) \(check.standardError)")
    }
}

extension ForwardingServeTests {
    @Test("serve SIGKILLed while 16 clients post and the forwarder writes: after a restart every stored event is in PostgreSQL exactly once")
    func killedMidBatch() throws {
        let server = try TestPostgres()
        let environment = ShutdownTests.environment(["DATABASE_URL": server.url, "FAST_RECEIVER_REPLICA": "kill-test"])
        let data = try #require(environment["DATA_DIR"])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--threads", "2"]
        let child = try ChildProcess(arguments: arguments, environment: environment)
        let port = try child.waitForPort()
        let (posters, group) = CrashTests.startPosters(16, port: port)
        // Killed once rows are committing, so that a batch is most likely in flight.
        #expect(waitUntil(deadline: .seconds(60)) { Self.rows(server) >= 500 })
        child.signal(SIGKILL)
        _ = child.waitForExit(timeout: 10)
        for poster in posters { poster.halt() }
        #expect(group.wait(timeout: .now() + 20) == .success)
        let acknowledged = posters.flatMap(\.ids)

        let restarted = try ChildProcess(arguments: arguments, environment: environment)
        _ = try restarted.waitForPort()
        var stored = Set<String>()
        let catalog = JournalCatalog(dataDirectory: data)
        for name in catalog.segments() {
            catalog.forEachRecord(in: name) { stored.insert(String(decoding: $0.eventID, as: UTF8.self)) }
        }
        #expect(waitUntil(deadline: .seconds(60)) { Self.rows(server) == Int64(stored.count) }, "\(Self.rows(server)) rows for \(stored.count) stored events")
        restarted.signal(SIGTERM)
        #expect(restarted.waitForExit(timeout: 30) == 0)
        let connection = try PostgresConnection(url: server.url)
        let missing = try connection.execute("SELECT count(*) FROM unnest($1::text[]) AS id WHERE id NOT IN (SELECT event_id FROM dt_events)",
                                              [.array(acknowledged.map(PostgresValue.text), of: .text)])
        #expect(try missing.int64(row: 0, column: 0) == 0)
        #expect(acknowledged.count > 500)
    }
}
