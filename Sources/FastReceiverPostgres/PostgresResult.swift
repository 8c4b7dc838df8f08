internal import CLibPQ

/// The successful result of one statement: its rows (values in text format) and how many rows
/// it affected. Owns libpq's `PGresult` and frees it when released.
///
/// Row and column indexes are the caller's own bookkeeping, so an index out of range is a
/// programming error and traps; values, which come from the server, are checked and throw.
public final class PostgresResult {
    private let result: OpaquePointer
    /// Rows returned (0 for a statement that returns none).
    public let rowCount: Int
    /// Columns per row.
    public let columnCount: Int

    /// Takes ownership of a `PGresult` whose status the caller has checked.
    init(_ result: OpaquePointer) {
        self.result = result
        rowCount = Int(PQntuples(result))
        columnCount = Int(PQnfields(result))
    }

    deinit {
        PQclear(result)
    }

    /// The command tag, e.g. `INSERT 0 5`, `COPY 1000`, `COMMIT`.
    public var commandTag: String { PQcmdStatus(result).map { String(cString: $0) } ?? "" }

    /// Rows the statement inserted, updated, deleted, copied or selected (0 for other commands).
    /// An `INSERT … ON CONFLICT DO NOTHING` counts only the rows it inserted.
    public var affectedRowCount: Int { PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0 }

    /// The name of column `column`.
    public func columnName(_ column: Int) -> String {
        checkColumn(column)
        return PQfname(result, Int32(column)).map { String(cString: $0) } ?? ""
    }

    /// The index of the column named `name`, or nil when there is none.
    public func columnIndex(named name: String) -> Int? {
        // PQfnumber folds an unquoted name to lower case, like SQL; quoting keeps it exact.
        let index = PQfnumber(result, "\"" + name.replacing("\"", with: "\"\"") + "\"")
        return index < 0 ? nil : Int(index)
    }

    /// Whether the value at `row`, `column` is NULL.
    public func isNull(row: Int, column: Int) -> Bool {
        check(row: row, column: column)
        return PQgetisnull(result, Int32(row), Int32(column)) == 1
    }

    /// The value at `row`, `column` in PostgreSQL's text format, or nil for NULL.
    public func text(row: Int, column: Int) -> String? {
        guard !isNull(row: row, column: column), let value = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        return String(decoding: UnsafeRawBufferPointer(start: UnsafeRawPointer(value), count: length), as: UTF8.self)
    }

    /// The value at `row`, `column` as an integer, or nil for NULL.
    /// - Throws: `PostgresError` (`.unexpectedResult`) when the value is not a 64-bit integer.
    public func int64(row: Int, column: Int) throws(PostgresError) -> Int64? {
        guard let text = text(row: row, column: column) else { return nil }
        guard let value = Int64(text) else {
            throw PostgresError(.unexpectedResult, message: "column \(column) of row \(row) is not a 64-bit integer")
        }
        return value
    }

    /// The value at `row`, `column` as a Boolean, or nil for NULL.
    /// - Throws: `PostgresError` (`.unexpectedResult`) when the value is not a `boolean`.
    public func bool(row: Int, column: Int) throws(PostgresError) -> Bool? {
        switch text(row: row, column: column) {
        case nil: return nil
        case "t": return true
        case "f": return false
        default: throw PostgresError(.unexpectedResult, message: "column \(column) of row \(row) is not a boolean")
        }
    }

    private func checkColumn(_ column: Int) {
        precondition(column >= 0 && column < columnCount, "column \(column) of a result with \(columnCount) columns")
    }

    private func check(row: Int, column: Int) {
        precondition(row >= 0 && row < rowCount, "row \(row) of a result with \(rowCount) rows")
        checkColumn(column)
    }
}
