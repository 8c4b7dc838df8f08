import FastReceiverForwarding
import FastReceiverPostgres
import FastReceiverStorage
import FastReceiverSystem
import FastReceiverTestSupport
import Foundation
import Glibc
import PostgresTestSupport
import Testing

/// The forwarder against a real PostgreSQL of the test's own: every stored event arrives once,
/// with its columns, whatever the journal holds and however often it is forwarded.
@Suite("Forwarder", .enabled(if: TestPostgres.shouldRun, "needs PostgreSQL's server binaries (apt-get install postgresql-15)"))
struct ForwarderTests {
    @Test("Every event arrives once with its columns; forwarding the journal again adds no row")
    func forwardsOnce() throws {
        let server = try TestPostgres()
        let journal = try ForwardingTestJournal()
        let samples = try Fixtures.dtRequests()
        let sampleRecords = samples.enumerated().map { index, request in
            JournalRecord(receivedAtMilliseconds: 1_767_225_600_000 + Int64(index), eventID: EventIDReader.id(of: request.body), body: request.body)
        }
        try journal.writeSegment(sampleRecords + (0..<1200).map { ForwardingTestJournal.record($0) }, sequence: 1, compressed: true)
        try journal.writeSegment((1200..<2500).map { ForwardingTestJournal.record($0) }, worker: 1, sequence: 1)
        try journal.writeSegment((2500..<2600).map { ForwardingTestJournal.record($0) }, sequence: 2)

        var settings = try ForwardingTestJournal.settings(server)
        settings.batchRows = 500
        let forwarder = Forwarder(settings: settings, catalog: journal.catalog)
        var reports: [Forwarder.Progress] = []
        #expect(forwarder.drain { reports.append($0) })
        let total = sampleRecords.count + 2600
        #expect(forwarder.metrics.inserted == Int64(total))
        #expect(reports.last?.done == Int64(total))
        #expect(reports.last?.left == 0)

        let connection = try PostgresConnection(url: server.url)
        try connection.execute("SET TIME ZONE 'UTC'")
        #expect(try connection.count("SELECT count(*) FROM dt_events") == Int64(total))
        // The indexed keys compare bytewise, whatever the database's collation.
        let collations = try connection.execute("""
            SELECT column_name, collation_name FROM information_schema.columns
            WHERE table_name = 'dt_events' AND column_name IN ('event_id', 'device_id') ORDER BY column_name
            """)
        #expect(collations.rowCount == 2)
        for index in 0..<collations.rowCount { #expect(collations.text(row: index, column: 1) == "C", "\(collations.text(row: index, column: 0) ?? "")") }
        let row = try connection.execute("""
            SELECT event_type, project_id, device_id, event_time, received_at, labels->>'room', data->'temperature'->>'value',
                   body->'event'->>'eventId'
            FROM dt_events WHERE event_id = 'evt8'
            """)
        #expect(row.text(row: 0, column: 0) == "temperature")
        #expect(row.text(row: 0, column: 1) == "proj1")
        #expect(row.text(row: 0, column: 2) == "dev1")
        #expect(row.text(row: 0, column: 3) == "2026-01-01 00:00:00.123457+00")
        #expect(row.text(row: 0, column: 4) == "2026-01-01 00:00:00.008+00")
        #expect(row.text(row: 0, column: 5) == "r2")
        #expect(row.text(row: 0, column: 6) == "23")
        #expect(row.text(row: 0, column: 7) == "evt8")
        // DT's own samples: the columns come from each body.
        for request in samples {
            let body = String(decoding: request.body, as: UTF8.self)
            let stored = try connection.execute("""
                SELECT body = $1::jsonb, event_type = body->'event'->>'eventType',
                       'projects/' || project_id || '/devices/' || device_id = body->'event'->>'targetName',
                       event_time = (body->'event'->>'timestamp')::timestamptz, labels = body->'labels', data = body->'event'->'data'
                FROM dt_events WHERE event_id = $2
                """, [.text(body), .text(String(decoding: EventIDReader.id(of: request.body), as: UTF8.self))])
            #expect(stored.rowCount == 1, "\(request.source)")
            for column in 0..<6 { #expect(try stored.bool(row: 0, column: column) == true, "\(request.source), column \(column)") }
        }
        // The sealed segment is complete; the newest plain segments may still grow.
        let positions = try settings.tables.positions(of: "replica-a", on: connection)
        #expect(positions.count == 3)
        #expect(positions.filter(\.isComplete).map(\.segment) == ["1767225600001-w000-000001.seg"])

        let again = Forwarder(settings: settings, catalog: journal.catalog)
        #expect(again.drain { _ in })
        #expect(again.metrics.inserted == 0)
        #expect(again.metrics.duplicates == 0)
        // Another replica name has no position: it sends everything again, and nothing is added.
        let other = Forwarder(settings: try ForwardingTestJournal.settings(server, replica: "replica-b"), catalog: journal.catalog)
        #expect(other.drain { _ in })
        #expect(other.metrics.inserted == 0)
        #expect(other.metrics.duplicates == Int64(total))
        #expect(try connection.count("SELECT count(*) FROM dt_events") == Int64(total))
    }

    @Test("Records PostgreSQL refuses for their content go to <table>_rejected; the records around them arrive")
    func poison() throws {
        let server = try TestPostgres()
        let journal = try ForwardingTestJournal()
        var records = (0..<300).map { ForwardingTestJournal.record($0) }
        // \u0000 in a string, which jsonb refuses; a body that is not JSON; a NUL in an id.
        records[10].body = Array(#"{"event":{"eventId":"evt10","eventType":"touch\u0000"}}"#.utf8)
        records[150].body = Array("not json at all".utf8)
        records[150].eventID = []
        records[200].eventID = Array("evt200\0".utf8)
        // Escaped backslashes before u0000 are text, which jsonb takes.
        records[250].body = Array(#"{"event":{"eventId":"evt250","eventType":"a\\u0000"}}"#.utf8)
        try journal.writeSegment(records, sequence: 1)
        let settings = try ForwardingTestJournal.settings(server)
        let forwarder = Forwarder(settings: settings, catalog: journal.catalog)
        #expect(forwarder.drain { _ in })
        #expect(forwarder.metrics.inserted == 297)
        #expect(forwarder.metrics.rejected == 3)

        let connection = try PostgresConnection(url: server.url)
        #expect(try connection.count("SELECT count(*) FROM dt_events") == 297)
        #expect(try connection.value("SELECT event_type FROM dt_events WHERE event_id = 'evt250'") == #"a\u0000"#)
        let rejected = try connection.execute("""
            SELECT event_id, sqlstate, reason, convert_from(body, 'UTF8'), segment, segment_offset, replica
            FROM dt_events_rejected ORDER BY segment_offset
            """)
        #expect(rejected.rowCount == 3)
        #expect(rejected.text(row: 0, column: 0) == "evt10")
        // jsonb refuses \u0000 (22P05), as text does the NUL it decodes to in event_type (22021).
        #expect(["22P05", "22021"].contains(rejected.text(row: 0, column: 1)))
        #expect(rejected.text(row: 0, column: 3) == String(decoding: records[10].body, as: UTF8.self))
        #expect(rejected.text(row: 1, column: 0)?.hasPrefix("sha256:") == true)
        #expect(rejected.text(row: 1, column: 1) == "22P02")
        #expect(rejected.text(row: 2, column: 0) == nil)
        #expect(rejected.text(row: 2, column: 1) == "22021")
        #expect(rejected.text(row: 0, column: 4) == "1767225600001-w000-000001.seg")
        #expect(rejected.text(row: 0, column: 6) == "replica-a")
        #expect(try (rejected.int64(row: 0, column: 5) ?? 0) > Int64(SegmentHeader.bytes))

        // Forwarded again, nothing is added or rejected twice.
        let again = Forwarder(settings: try ForwardingTestJournal.settings(server, replica: "replica-b"), catalog: journal.catalog)
        #expect(again.drain { _ in })
        #expect(try connection.count("SELECT count(*) FROM dt_events") == 297)
    }

    @Test("Two replicas with separate journals that took the same events: each row exists once")
    func twoReplicas() throws {
        let server = try TestPostgres()
        let first = try ForwardingTestJournal()
        let second = try ForwardingTestJournal()
        // Events 0..<1000 reached both replicas (redeliveries), in a different order on each.
        try first.writeSegment((0..<1500).map { ForwardingTestJournal.record($0) }, sequence: 1)
        try second.writeSegment((0..<1000).reversed().map { ForwardingTestJournal.record($0) } + (1500..<2000).map { ForwardingTestJournal.record($0) },
                                sequence: 1)
        let a = Forwarder(settings: try ForwardingTestJournal.settings(server, replica: "a"), catalog: first.catalog)
        let b = Forwarder(settings: try ForwardingTestJournal.settings(server, replica: "b"), catalog: second.catalog)
        let group = DispatchGroup()
        for forwarder in [a, b] {
            group.enter()
            Thread {
                _ = forwarder.drain { _ in }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 120) == .success)
        #expect(a.metrics.inserted + b.metrics.inserted == 2000)
        #expect(a.metrics.duplicates + b.metrics.duplicates == 1000)
        let connection = try PostgresConnection(url: server.url)
        #expect(try connection.count("SELECT count(*) FROM dt_events") == 2000)
        #expect(try connection.count("SELECT count(DISTINCT replica) FROM dt_events_positions") == 2)
    }

    @Test("Retention deletes only sealed segments PostgreSQL holds whole and older than the retention, also after a restart")
    func retentionDeletesOnlyForwarded() throws {
        let server = try TestPostgres()
        let journal = try ForwardingTestJournal()
        try journal.writeSegment((0..<100).map { ForwardingTestJournal.record($0) }, sequence: 1, compressed: true)
        try journal.writeSegment((100..<200).map { ForwardingTestJournal.record($0) }, sequence: 2)
        try journal.writeSegment((200..<300).map { ForwardingTestJournal.record($0) }, sequence: 3)
        try journal.writeSegment((300..<400).map { ForwardingTestJournal.record($0) }, worker: 1, sequence: 1)
        let growing = try journal.writeSegment((400..<500).map { ForwardingTestJournal.record($0) }, worker: 1, sequence: 2)
        let settings = try ForwardingTestJournal.settings(server)
        let forwarder = Forwarder(settings: settings, catalog: journal.catalog)
        #expect(forwarder.drain { _ in })
        // Worker 1's live segment grows after the drain and is then sealed by a newer one: its
        // last records are not in PostgreSQL.
        try journal.writeSegment((400..<600).map { ForwardingTestJournal.record($0) }, worker: 1, sequence: 2)
        try journal.writeSegment((600..<610).map { ForwardingTestJournal.record($0) }, worker: 1, sequence: 3)
        let all = SegmentName.list(in: journal.journalDirectory)
        #expect(all.count == 6)
        // Every file is old but worker 0's second segment.
        for name in all where !(name.worker == 0 && name.sequence == 2) {
            try Self.age(journal.journalDirectory + "/" + name.description, seconds: 3 * 86_400)
        }
        let policy = JournalRetention.Policy(maxAgeMilliseconds: 86_400_000)
        let retention = JournalRetention(directory: journal.journalDirectory, policy: policy, health: StorageHealth(),
                                         isForwarded: { forwarder.hasForwarded($0) })
        let deleted = retention.enforce(nowMilliseconds: UnixTime.nowMilliseconds())
        // Worker 0's first (compressed) and worker 1's first: sealed, forwarded whole and old. Not
        // worker 0's second (young), not the live ones, not the one that grew.
        #expect(Set(deleted.map(\.baseName)) == ["1767225600001-w000-000001.seg", "1767225600001-w001-000001.seg"])
        #expect(SegmentName.list(in: journal.journalDirectory).count == 4)

        // A forwarder started afresh reads its positions, forwards the rest of the grown segment,
        // and only then may that segment go.
        let restarted = Forwarder(settings: settings, catalog: journal.catalog)
        let fresh = JournalRetention(directory: journal.journalDirectory, policy: policy, health: StorageHealth(),
                                     isForwarded: { restarted.hasForwarded($0) })
        #expect(fresh.enforce(nowMilliseconds: UnixTime.nowMilliseconds()).isEmpty)
        #expect(restarted.drain { _ in })
        #expect(restarted.metrics.inserted == 110)
        #expect(fresh.enforce(nowMilliseconds: UnixTime.nowMilliseconds()).map(\.baseName) == [growing.baseName])
        let connection = try PostgresConnection(url: server.url)
        #expect(try connection.count("SELECT count(*) FROM dt_events") == 610)
    }

    /// Sets a file's last modification `seconds` in the past.
    static func age(_ path: String, seconds: Int) throws {
        let then = timespec(tv_sec: time(nil) - seconds, tv_nsec: 0)
        var times = [then, then]
        guard utimensat(AT_FDCWD, path, &times, 0) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    @Test("event_time is the instant PostgreSQL reads from the same text, to the microsecond")
    func eventTimeAgreesWithPostgres() throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        let texts = [
            "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.1Z", "2022-01-12T09:41:12.108482Z", "2022-01-12T09:41:12.123456789Z",
            "2022-01-12T09:41:12.0000005Z", "2022-01-12T09:41:12.0000015Z", "2022-01-12T09:41:12.9999995Z", "2022-01-12T09:41:12.9999999999Z",
            "2024-02-29T23:59:59.5+01:00", "1999-12-31T23:59:60Z", "2030-06-15 12:00:00.000001-07:30", "0001-01-01T00:00:00Z",
            "2026-01-01t00:00:00z",
        ]
        for text in texts {
            let ours = Array(text.utf8).withUnsafeBytes { RFC3339.unixMicroseconds($0) }
            let theirs = try connection.count("SELECT (extract(epoch FROM $1::timestamptz) * 1000000)::bigint", [.text(text)])
            #expect(ours == theirs, "\(text)")
        }
        for text in ["2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00", "2026-01-01", "2026-01-01T00:00:00.Z", "x"] {
            #expect(Array(text.utf8).withUnsafeBytes { RFC3339.unixMicroseconds($0) } == nil, "\(text)")
        }
    }
}

/// The event id the request path stores for a body.
enum EventIDReader {
    static func id(of body: [UInt8]) -> [UInt8] {
        body.withUnsafeBytes { id(of: $0) }
    }

    static func id(of body: UnsafeRawBufferPointer) -> [UInt8] {
        guard let range = try? #/"eventId":"([^"]*)"/#.firstMatch(in: String(decoding: body, as: UTF8.self)) else { return [] }
        return Array(range.1.utf8)
    }
}
