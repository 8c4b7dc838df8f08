import FastReceiverPostgres
import PostgresTestSupport
import Testing

/// The two batch paths the forwarder can take — binary COPY into a temporary table then
/// `INSERT … SELECT`, and array parameters through `unnest` — each with `ON CONFLICT DO NOTHING`.
@Suite("PostgreSQL batch inserts", .enabled(if: TestPostgres.shouldRun, "needs PostgreSQL's server binaries (apt-get install postgresql-15)"))
struct PostgresBulkInsertTests {
    enum Path: String, CaseIterable, Sendable {
        case copy, arrays

        func insert(_ rows: [DTEventTable.Row], into table: DTEventTable, on connection: PostgresConnection) throws(PostgresError) -> Int {
            try connection.transaction { connection throws(PostgresError) in
                switch self {
                case .copy: try table.insertByCopy(rows, on: connection)
                case .arrays: try table.insertByArrays(rows, on: connection)
                }
            }
        }
    }

    @Test("Rows are inserted with every column; duplicates, in the batch or already stored, are skipped",
          arguments: Path.allCases, DTEventTable.Columns.allCases)
    func insertsOnce(path: Path, columns: DTEventTable.Columns) throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        let table = DTEventTable(try #require(PostgresIdentifier("dt_events")), columns: columns)
        try table.create(on: connection)
        let rows = DTEventTable.sampleRows(count: 500)
        #expect(try path.insert(rows, into: table, on: connection) == 500)
        // Half already stored, half new, and one new row twice in the same batch.
        let next = Array(rows[250...]) + DTEventTable.sampleRows(count: 250, first: 500) + [DTEventTable.sampleRows(count: 1, first: 600)[0]]
        #expect(try path.insert(next, into: table, on: connection) == 250)
        #expect(try table.count(on: connection) == 750)

        var partial = DTEventTable.sampleRows(count: 1, first: 10_000)[0]
        (partial.eventType, partial.projectID, partial.deviceID, partial.eventTimeMicroseconds, partial.labels, partial.data) = (nil, nil, nil, nil, nil, nil)
        #expect(try path.insert([partial], into: table, on: connection) == 1)

        try connection.execute("SET TIME ZONE 'UTC'")
        let stored = try connection.execute("""
            SELECT event_type, device_id, event_time, received_at, labels->>'room', data->'temperature'->>'value',
                   body->'event'->>'eventId', octet_length(body::text) > 500
            FROM dt_events WHERE event_id = $1
            """, [.text(rows[7].eventID)])
        #expect(stored.rowCount == 1)
        #expect(stored.text(row: 0, column: 0) == "temperature")
        #expect(stored.text(row: 0, column: 1) == rows[7].deviceID)
        #expect(stored.text(row: 0, column: 2) == "2026-01-01 00:00:07+00")
        #expect(stored.text(row: 0, column: 3) == "2026-01-01 00:00:07.25+00")
        #expect(stored.text(row: 0, column: 4) == "Meeting room 7")
        #expect(stored.text(row: 0, column: 5) == "18.07")
        #expect(stored.text(row: 0, column: 6) == rows[7].eventID)
        #expect(try stored.bool(row: 0, column: 7) == true)
        // Sent, the missing labels and data are NULL; derived, they come from the body.
        let nulls = try connection.execute("""
            SELECT event_type IS NULL AND event_time IS NULL, labels IS NULL AND data IS NULL FROM dt_events WHERE event_id = $1
            """, [.text(partial.eventID)])
        #expect(try nulls.bool(row: 0, column: 0) == true)
        #expect(try nulls.bool(row: 0, column: 1) == (columns == .sent))
    }

    @Test("One body with \\u0000 refuses the whole batch for its content (22P05); nothing is stored and the connection goes on",
          arguments: Path.allCases, DTEventTable.Columns.allCases)
    func refusedContent(path: Path, columns: DTEventTable.Columns) throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        let table = DTEventTable(try #require(PostgresIdentifier("dt_events")), columns: columns)
        try table.create(on: connection)
        var rows = DTEventTable.sampleRows(count: 100)
        rows[42].body = rows[42].body.replacing(#""eventType":"temperature""#, with: #""eventType":"temp\u0000erature""#)
        #expect(rows[42].body.contains(#"\u0000"#))
        do {
            _ = try path.insert(rows, into: table, on: connection)
            Issue.record("the batch was accepted")
        } catch {
            #expect(error.kind == .contentRefused)
            #expect(error.sqlState == "22P05")
        }
        #expect(connection.status == .connected)
        #expect(try table.count(on: connection) == 0)
        rows.remove(at: 42)
        #expect(try path.insert(rows, into: table, on: connection) == 99)
    }
}
