internal import FastReceiverPostgres
internal import FastReceiverStorage
internal import FastReceiverSystem

/// Writes a batch into PostgreSQL in one transaction: its rows with `ON CONFLICT DO NOTHING`
/// (on the table's key, `event_id`; a table partitioned by time has `(event_id, event_time)`), the records PostgreSQL refuses for their content into `<table>_rejected`, and
/// this replica's new position in each segment the batch reaches. All of it commits, or none.
///
/// Rows travel by binary COPY, streamed in pieces so that the server parses and inserts while
/// the next rows are encoded, into a temporary table; one `INSERT … SELECT` moves them on and
/// takes `labels` and `data` from the body the server has already parsed. A batch that
/// PostgreSQL refuses for the content of some row is written again, halving it until each
/// refused record stands alone and goes to `<table>_rejected`; the others are inserted.
final class BatchWriter {
    /// What a written batch did.
    struct Outcome: Equatable {
        /// Rows inserted.
        var inserted = 0
        /// Rows skipped because their `event_id` was already in the table.
        var duplicates = 0
        /// Records refused for their content, now in `<table>_rejected`.
        var rejected = 0
    }

    /// The per-connection temporary table COPY fills; emptied at every commit.
    static let staging = "fast_receiver_batch"
    /// Columns the client sends, in order.
    private static let sentColumns = "event_id, event_type, project_id, device_id, event_time, received_at, body"
    /// Bytes encoded before they are handed to the connection.
    private static let pieceBytes = 256 << 10

    let tables: ForwardingTables
    let replica: String
    private var copy = PostgresCopyRows(columnCount: 7)
    private let insertSQL: String
    private let positionSQL: String
    private let rejectedSQL: String

    init(tables: ForwardingTables, replica: String) {
        self.tables = tables
        self.replica = replica
        insertSQL = """
            INSERT INTO \(tables.events.quoted) (event_id, event_type, project_id, device_id, event_time, received_at, labels, data, body)
            SELECT event_id, event_type, project_id, device_id, event_time, received_at, body->'labels', body->'event'->'data', body
            FROM \(Self.staging) ON CONFLICT DO NOTHING
            """
        positionSQL = """
            INSERT INTO \(tables.positions.quoted) AS p (replica, segment, worker, segment_offset, complete, updated_at)
            VALUES ($1, $2, $3, $4, $5, now())
            ON CONFLICT (replica, segment) DO UPDATE SET segment_offset = GREATEST(p.segment_offset, EXCLUDED.segment_offset),
                complete = p.complete OR EXCLUDED.complete, updated_at = EXCLUDED.updated_at
            """
        rejectedSQL = """
            INSERT INTO \(tables.rejected.quoted) (replica, segment, segment_offset, event_id, received_at, sqlstate, reason, body)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
            """
    }

    /// Prepares a new connection: the temporary table COPY fills.
    func prepare(_ connection: PostgresConnection) throws(PostgresError) {
        try connection.execute("""
            CREATE TEMPORARY TABLE IF NOT EXISTS \(Self.staging) (
                event_id text, event_type text, project_id text, device_id text,
                event_time timestamptz, received_at timestamptz, body jsonb
            ) ON COMMIT DELETE ROWS
            """)
    }

    /// Writes `batch` in one transaction.
    /// - Throws: `PostgresError` when the transaction did not commit (or, for `.connectionLost`
    ///   during COMMIT, may have): writing the same batch again is always safe.
    func write(_ batch: ForwardBatch, on connection: PostgresConnection) throws(PostgresError) -> Outcome {
        var outcome = try attempt(batch, on: connection)
        outcome.duplicates = batch.rows.count - outcome.inserted - outcome.rejected
        return outcome
    }

    private func attempt(_ batch: ForwardBatch, on connection: PostgresConnection) throws(PostgresError) -> Outcome {
        let all = Array(batch.rows.indices)
        do {
            return try transaction(on: connection) { () throws(PostgresError) in
                var outcome = Outcome()
                let (suspects, others) = all.partitioned { batch.rows[$0].isSuspect }
                if !others.isEmpty { outcome.inserted += try insert(others, of: batch, on: connection) }
                for suspect in suspects { outcome.add(try insertSeparately([suspect], of: batch, on: connection)) }
                try savePositions(batch, on: connection)
                return outcome
            }
        } catch where error.kind == .contentRefused {
            // Some row was refused for its content: find it, and any other, by halves.
            return try transaction(on: connection) { () throws(PostgresError) in
                let outcome = try insertSeparately(all, of: batch, on: connection)
                try savePositions(batch, on: connection)
                return outcome
            }
        }
    }

    /// Runs `body` between BEGIN and COMMIT; rolls back when it throws on a live connection.
    private func transaction(on connection: PostgresConnection, _ body: () throws(PostgresError) -> Outcome) throws(PostgresError) -> Outcome {
        try connection.begin()
        do {
            let outcome = try body()
            try connection.commit()
            return outcome
        } catch {
            if connection.status == .connected { try? connection.rollback() }
            throw error
        }
    }

    /// Inserts the rows at `indices` through the temporary table.
    /// - Returns: the rows inserted.
    private func insert(_ indices: some Collection<Int>, of batch: ForwardBatch, on connection: PostgresConnection) throws(PostgresError) -> Int {
        try connection.beginCopy("COPY \(Self.staging) (\(Self.sentColumns)) FROM STDIN (FORMAT binary)")
        var failure: PostgresError?
        batch.bytes.withUnsafeBytes { bytes in
            for index in indices {
                encode(batch.rows[index], from: bytes)
                if copy.byteCount >= Self.pieceBytes {
                    do throws(PostgresError) { try connection.sendCopyData(&copy) } catch {
                        failure = error
                        return
                    }
                }
            }
        }
        if failure == nil {
            do throws(PostgresError) { try connection.sendCopyData(&copy) } catch { failure = error }
        }
        // The server's verdict, when there is one, says more than a failed send.
        try connection.endCopy()
        if let failure { throw failure }
        return try connection.execute(insertSQL).affectedRowCount
    }

    /// Inserts the rows at `indices` under a savepoint; when PostgreSQL refuses their content,
    /// halves them until each refused record stands alone and goes to `<table>_rejected`.
    private func insertSeparately(_ indices: ArraySlice<Int>, of batch: ForwardBatch, on connection: PostgresConnection) throws(PostgresError) -> Outcome {
        try connection.execute("SAVEPOINT fast_receiver_rows")
        do {
            let inserted = try insert(indices, of: batch, on: connection)
            try connection.execute("TRUNCATE \(Self.staging)")
            try connection.execute("RELEASE SAVEPOINT fast_receiver_rows")
            return Outcome(inserted: inserted)
        } catch where error.kind == .contentRefused {
            try connection.execute("ROLLBACK TO SAVEPOINT fast_receiver_rows")
            try connection.execute("RELEASE SAVEPOINT fast_receiver_rows")
            guard indices.count > 1, let first = indices.first else {
                if let only = indices.first { try reject(batch.rows[only], of: batch, error, on: connection) }
                return Outcome(rejected: indices.count)
            }
            let middle = first + indices.count / 2
            var outcome = try insertSeparately(indices[..<middle], of: batch, on: connection)
            outcome.add(try insertSeparately(indices[middle...], of: batch, on: connection))
            return outcome
        }
    }

    private func insertSeparately(_ indices: [Int], of batch: ForwardBatch, on connection: PostgresConnection) throws(PostgresError) -> Outcome {
        try insertSeparately(indices[...], of: batch, on: connection)
    }

    /// Appends one row's COPY fields.
    private func encode(_ row: ForwardBatch.Row, from bytes: UnsafeRawBufferPointer) {
        func text(_ range: Range<Int>?) {
            if let range { copy.appendText(UnsafeRawBufferPointer(rebasing: bytes[range])) } else { copy.appendNull() }
        }
        copy.beginRow()
        text(row.key)
        text(row.eventType)
        text(row.projectID)
        text(row.deviceID)
        if let time = row.eventTimeMicroseconds { copy.appendTimestamptz(unixMicroseconds: time) } else { copy.appendNull() }
        let (receivedAt, overflow) = row.receivedAtMilliseconds.multipliedReportingOverflow(by: 1000)
        copy.appendTimestamptz(unixMicroseconds: overflow ? (row.receivedAtMilliseconds < 0 ? Int64.min : Int64.max) : receivedAt)
        copy.appendJSONB(UnsafeRawBufferPointer(rebasing: bytes[row.body]))
    }

    /// Stores a refused record in `<table>_rejected`: its whole body as bytes, where it is in the
    /// journal, and why PostgreSQL refused it.
    private func reject(_ row: ForwardBatch.Row, of batch: ForwardBatch, _ error: PostgresError, on connection: PostgresConnection) throws(PostgresError) {
        let key = batch.bytes[row.key]
        let eventID = key.contains(0) ? nil : String(validating: key, as: UTF8.self)
        let receivedAt = RFC3339.representableMilliseconds.contains(row.receivedAtMilliseconds)
            ? PostgresValue.timestamptz(unixMicroseconds: row.receivedAtMilliseconds * 1000) : .null(.timestamptz)
        try connection.execute(rejectedSQL, [
            .text(replica), .text(batch.segments[row.segment].name.baseName), .int64(Int64(row.offset)),
            eventID.map(PostgresValue.text) ?? .null(.text), receivedAt, error.sqlState.map(PostgresValue.text) ?? .null(.text),
            .text(error.description), .bytea(batch.bytes[row.body]),
        ])
    }

    /// Moves this replica's position in each segment the batch reaches.
    private func savePositions(_ batch: ForwardBatch, on connection: PostgresConnection) throws(PostgresError) {
        for segment in batch.segments {
            try connection.execute(positionSQL, [
                .text(replica), .text(segment.name.baseName), .int64(Int64(segment.name.worker)), .int64(Int64(segment.offset)),
                .bool(segment.isComplete),
            ])
        }
    }
}

extension BatchWriter.Outcome {
    mutating func add(_ other: Self) {
        inserted += other.inserted
        duplicates += other.duplicates
        rejected += other.rejected
    }
}

extension Array {
    /// The elements for which `isFirst` holds, and the others, each in order.
    fileprivate func partitioned(_ isFirst: (Element) -> Bool) -> ([Element], [Element]) {
        var first: [Element] = []
        var second: [Element] = []
        for element in self {
            if isFirst(element) { first.append(element) } else { second.append(element) }
        }
        return (first, second)
    }
}
