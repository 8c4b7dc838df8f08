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
        let connection = try open()
        let started = PQexec(connection, sql)
        guard let started, PQresultStatus(started) == PGRES_COPY_IN else {
            _ = try check(started, on: connection, expecting: [])
            throw PostgresError(.unexpectedResult, message: "the statement did not start a COPY FROM STDIN")
        }
        PQclear(started)
        let sent = Self.putCopyData(rows.bytes, connection) && Self.putCopyData(PostgresCopyRows.trailer, connection)
            && PQputCopyEnd(connection, nil) == 1
        // After a failed send the server's verdict, if any, is still the result to report.
        let result = try check(PQgetResult(connection), on: connection, expecting: sent ? [PGRES_COMMAND_OK] : [])
        while let extra = PQgetResult(connection) { PQclear(extra) }
        return result.affectedRowCount
    }

    /// Hands `bytes` to libpq in chunks; false when the connection failed.
    private static func putCopyData(_ bytes: [UInt8], _ connection: OpaquePointer) -> Bool {
        bytes.withUnsafeBytes { buffer in
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
}
