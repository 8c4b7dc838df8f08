internal import CLibPQ

/// Bulk loading with `COPY … FROM STDIN`, the fastest way to send many rows.
extension PostgresConnection {
    /// Bytes handed to libpq per `PQputCopyData` call.
    private static let copyChunk = 1 << 20

    /// Runs a `COPY … FROM STDIN (FORMAT binary)` statement and streams `rows` to it.
    ///
    /// A typical use copies a batch into a temporary table and then moves it on with
    /// `INSERT … SELECT … ON CONFLICT DO NOTHING`, both in one transaction.
    ///
    /// - Parameters:
    ///   - sql: the COPY statement, e.g.
    ///     `COPY batch (event_id, body) FROM STDIN (FORMAT binary)`; its columns in the order of
    ///     the rows' values.
    ///   - rows: the rows, in the binary format of those columns' types.
    /// - Returns: the number of rows the server copied.
    /// - Throws: `PostgresError`: `.contentRefused` when a value is refused (nothing is copied
    ///   then), `.connectionLost`, or `.unexpectedResult` when `sql` is not a COPY FROM STDIN.
    @discardableResult
    public func copy(_ sql: String, rows: PostgresCopyRows) throws(PostgresError) -> Int {
        var rows = rows
        try beginCopy(sql)
        try sendCopyData(&rows)
        return try endCopy()
    }

    /// Starts a `COPY … FROM STDIN (FORMAT binary)` whose rows follow in pieces through
    /// `sendCopyData(_:)`, ended by `endCopy()`.
    ///
    /// Streaming lets the server parse and insert the rows already sent while the caller encodes
    /// the next ones, instead of waiting for the whole batch.
    ///
    /// - Parameter sql: the COPY statement.
    /// - Throws: `PostgresError`; `.unexpectedResult` when `sql` is not a COPY FROM STDIN.
    public func beginCopy(_ sql: String) throws(PostgresError) {
        let connection = try open()
        let started = PQexec(connection, sql)
        guard let started, PQresultStatus(started) == PGRES_COPY_IN else {
            _ = try check(started, on: connection, expecting: [])
            throw PostgresError(.unexpectedResult, message: "the statement did not start a COPY FROM STDIN")
        }
        PQclear(started)
        isCopyFailing = !PostgresCopyRows.header.withUnsafeBytes { Self.putCopyData($0, connection) }
    }

    /// Sends the rows appended to `rows` so far and empties it, keeping its capacity.
    ///
    /// The server reports a refused value only when the COPY ends, so this throws only for a
    /// connection that failed; `endCopy()` then reports the server's verdict.
    /// - Throws: `PostgresError` (`.connectionLost`).
    public func sendCopyData(_ rows: inout PostgresCopyRows) throws(PostgresError) {
        let connection = try open()
        let isSent = !isCopyFailing && rows.withPendingBytes { Self.putCopyData($0, connection) }
        rows.removeSentBytes()
        guard isSent else {
            isCopyFailing = true
            throw PostgresError(.connectionLost, message: connectionString.redact(PQerrorMessage(connection).map { String(cString: $0) } ?? ""))
        }
    }

    /// Ends the COPY begun by `beginCopy(_:)` and waits for the server's verdict on every row.
    /// - Returns: the number of rows the server copied.
    /// - Throws: `PostgresError`: `.contentRefused` when a value is refused (nothing is copied
    ///   then), `.connectionLost`.
    @discardableResult
    public func endCopy() throws(PostgresError) -> Int {
        let connection = try open()
        let sent = !isCopyFailing
            && PostgresCopyRows.trailer.withUnsafeBytes { Self.putCopyData($0, connection) }
            && PQputCopyEnd(connection, nil) == 1
        isCopyFailing = false
        // After a failed send the server's verdict, if any, is still the result to report.
        let result = try check(PQgetResult(connection), on: connection, expecting: sent ? [PGRES_COMMAND_OK] : [])
        while let extra = PQgetResult(connection) { PQclear(extra) }
        return result.affectedRowCount
    }

    /// Hands `bytes` to libpq in chunks; false when the connection failed.
    private static func putCopyData(_ buffer: UnsafeRawBufferPointer, _ connection: OpaquePointer) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let count = min(copyChunk, buffer.count - offset)
            let chunk = buffer.baseAddress.map { UnsafeRawPointer($0 + offset).assumingMemoryBound(to: CChar.self) }
            guard PQputCopyData(connection, chunk, Int32(count)) == 1 else { return false }
            offset += count
        }
        return true
    }
}
