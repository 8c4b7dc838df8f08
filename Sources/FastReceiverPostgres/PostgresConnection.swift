internal import CLibPQ
internal import Glibc

/// One blocking connection to PostgreSQL through libpq, for a thread of its own (the forwarder's).
///
/// Owns libpq's `PGconn` and closes it when released. Every call blocks until the server has
/// answered; a broken connection surfaces as `PostgresError.Kind.connectionLost` on the next call
/// and is mended by `reset()` or a new connection. Statements always bind their parameters
/// (`PQexecParams`); nothing is ever spliced into SQL text. Not thread-safe: one thread at a time.
public final class PostgresConnection {
    /// Seconds libpq waits for each host while connecting when the string sets no `connect_timeout`.
    public static let defaultConnectTimeout = 10

    /// The connection string, which describes itself with the password hidden.
    public private(set) var connectionString: PostgresConnectionString
    private var connection: OpaquePointer?
    /// A piece of the COPY in progress could not be sent: the rest is not sent either.
    var isCopyFailing = false

    /// Connects, or throws why not.
    ///
    /// Parameters are libpq's, as libpq documents them; where the string sets none, the
    /// connection waits `connectTimeout` seconds per host and sends TCP keepalives (first after
    /// 30 s idle, then every 10 s, giving up after 3 unanswered), so a server that vanishes is
    /// noticed within about a minute. The client encoding is always UTF-8.
    ///
    /// - Parameters:
    ///   - connectionString: a libpq URI or `key=value` string.
    ///   - connectTimeout: seconds, used when the string sets no `connect_timeout`; default 10.
    ///   - applicationName: shown in `pg_stat_activity` unless the string sets `application_name`.
    /// - Throws: `PostgresError`, e.g. `.authenticationFailed` with SQLSTATE 28P01.
    public init(
        _ connectionString: PostgresConnectionString,
        connectTimeout: Int = PostgresConnection.defaultConnectTimeout,
        applicationName: String = "fast-receiver"
    ) throws(PostgresError) {
        self.connectionString = connectionString
        if let failure = connectionString.parseFailure { throw PostgresError(.invalidConnectionString, message: failure) }
        // Entries before `dbname` are defaults its expansion overrides; entries after it win.
        let parameters = [
            ("connect_timeout", String(connectTimeout)),
            ("keepalives", "1"),
            ("keepalives_idle", "30"),
            ("keepalives_interval", "10"),
            ("keepalives_count", "3"),
            ("fallback_application_name", applicationName),
            ("dbname", connectionString.text),
            ("client_encoding", "UTF8"),
        ]
        connection = try Self.connect(parameters, connectionString)
        if let password = PQpass(connection) { self.connectionString.addSecret(String(cString: password)) }
    }

    /// Connects to `url`; see `init(_:connectTimeout:applicationName:)`.
    public convenience init(url: String, connectTimeout: Int = PostgresConnection.defaultConnectTimeout) throws(PostgresError) {
        try self.init(PostgresConnectionString(url), connectTimeout: connectTimeout)
    }

    deinit {
        if let connection { PQfinish(connection) }
    }

    /// Where the connection stands.
    public enum Status: Sendable, Equatable {
        /// Connected and ready for statements.
        case connected
        /// The connection broke; `reset()` reconnects.
        case broken
        /// `close()` was called.
        case closed
    }

    public var status: Status {
        guard let connection else { return .closed }
        return PQstatus(connection) == CONNECTION_OK ? .connected : .broken
    }

    /// Closes the connection and opens a new one with the same parameters, e.g. after the server
    /// restarted. A transaction that was open is gone.
    /// - Throws: `PostgresError` when the new connection fails (it can be reset again later).
    public func reset() throws(PostgresError) {
        let connection = try open()
        PQreset(connection)
        guard PQstatus(connection) == CONNECTION_OK else { throw Self.connectFailure(connection, connectionString) }
    }

    /// Closes the connection; later calls throw `.connectionLost`.
    public func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    /// Runs one statement with its parameters bound, in binary format, never spliced into the SQL.
    ///
    /// - Parameters:
    ///   - sql: one statement; `$1`, `$2`, … stand for the parameters.
    ///   - parameters: the values, in order; each carries its type.
    /// - Returns: the rows and the affected-row count.
    /// - Throws: `PostgresError`: `.contentRefused` for data the server does not accept,
    ///   `.connectionLost` when the connection broke, and so on.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) throws(PostgresError) -> PostgresResult {
        let connection = try open()
        guard parameters.count <= Int(UInt16.max) else {
            throw PostgresError(.statementFailed, message: "\(parameters.count) parameters, over the protocol's limit of 65535")
        }
        // One buffer holds every value, so one pointer array can point into it.
        var storage: [UInt8] = []
        storage.reserveCapacity(parameters.reduce(1) { $0 + ($1.bytes?.count ?? 0) })
        var offsets: [Int] = []
        var lengths: [Int32] = []
        for (index, parameter) in parameters.enumerated() {
            guard let bytes = parameter.bytes else {
                offsets.append(-1)
                lengths.append(0)
                continue
            }
            guard let length = Int32(exactly: bytes.count) else {
                throw PostgresError(.contentRefused, message: "parameter \(index + 1) holds \(bytes.count) bytes, over libpq's limit")
            }
            offsets.append(storage.count)
            lengths.append(length)
            storage += bytes
        }
        storage.append(0)  // so that even an empty value has an address
        let types = parameters.map { $0.type?.oid ?? 0 }
        let formats = [Int32](repeating: 1, count: parameters.count)
        let result = storage.withUnsafeBufferPointer { buffer in
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                guard offset >= 0, let base = buffer.baseAddress else { return nil }
                return UnsafeRawPointer(base + offset).assumingMemoryBound(to: CChar.self)
            }
            return PQexecParams(connection, sql, Int32(parameters.count), types, values, lengths, formats, 0)
        }
        return try check(result, on: connection, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    }

    /// The connection, or `.connectionLost` once closed.
    func open() throws(PostgresError) -> OpaquePointer {
        guard let connection else { throw PostgresError(.connectionLost, message: "the connection was closed") }
        return connection
    }

    /// The result if its status is one of `expected`; otherwise the error it carries, and the
    /// connection brought back to idle if the statement left it copying.
    func check(_ result: OpaquePointer?, on connection: OpaquePointer, expecting expected: [ExecStatusType]) throws(PostgresError) -> PostgresResult {
        guard let result else { throw Self.failure(connection, connectionString) }
        let status = PQresultStatus(result)
        if expected.contains(status) { return PostgresResult(result) }
        defer { PQclear(result) }
        switch status {
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            abandonCopy(connection)
            throw PostgresError(.unexpectedResult, message: "the statement started a COPY")
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
            throw Self.failure(connection, connectionString, result: result)
        default:
            let name = PQresStatus(status).map { String(cString: $0) } ?? "status \(status.rawValue)"
            throw PostgresError(.unexpectedResult, message: "the statement answered \(name)")
        }
    }

    /// Ends a COPY nobody asked for, so the connection takes statements again.
    private func abandonCopy(_ connection: OpaquePointer) {
        _ = PQputCopyEnd(connection, "not expected")
        var buffer: UnsafeMutablePointer<CChar>?
        while PQgetCopyData(connection, &buffer, 0) > 0 { PQfreemem(buffer) }
        while let extra = PQgetResult(connection) { PQclear(extra) }
    }

    /// libpq's connection setting `keyword` as it is in effect, e.g. `connect_timeout`;
    /// nil for the password and for a keyword that is not set.
    func option(_ keyword: String) -> String? {
        guard keyword != "password", let connection, let options = PQconninfo(connection) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let name = option.pointee.keyword {
            if String(cString: name) == keyword { return option.pointee.val.map { String(cString: $0) } }
            option += 1
        }
        return nil
    }
}

extension PostgresConnection {
    /// Opens a connection with libpq's blocking connect, so that every parameter (a
    /// `connect_timeout` per host, several hosts, `target_session_attrs`) behaves as libpq documents.
    ///
    /// A server that refuses the connection (a wrong password, a missing database) is reported
    /// only in the text of libpq's message, which carries the SQLSTATE only with verbose errors,
    /// and verbosity can be set only on an existing `PGconn`. So `PQconnectStartParams` creates
    /// it, verbose errors are set, and `PQreset` runs libpq's blocking connect on it; the attempt
    /// `PQconnectStartParams` began is dropped unfinished, before any statement.
    private static func connect(_ parameters: [(String, String)], _ connectionString: PostgresConnectionString) throws(PostgresError) -> OpaquePointer {
        let keywords = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        guard !keywords.contains(nil), !values.contains(nil) else {
            throw PostgresError(.connectionFailed, message: "out of memory for the connection parameters")
        }
        let connection = (keywords.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { keywordList in
            (values.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { valueList in
                PQconnectStartParams(keywordList.baseAddress, valueList.baseAddress, 1)
            }
        }
        guard let connection else { throw PostgresError(.connectionFailed, message: "libpq could not allocate a connection") }
        fr_pq_discard_notices(connection)
        _ = PQsetErrorVerbosity(connection, PQERRORS_VERBOSE)
        // Options libpq rejects, or a host that does not resolve, fail already here.
        if PQstatus(connection) != CONNECTION_BAD { PQreset(connection) }
        guard PQstatus(connection) == CONNECTION_OK else {
            let error = connectFailure(connection, connectionString)
            PQfinish(connection)
            throw error
        }
        return connection
    }

    /// Why a connection attempt on `connection` failed, from libpq's verbose message.
    private static func connectFailure(_ connection: OpaquePointer, _ connectionString: PostgresConnectionString) -> PostgresError {
        let text = PQerrorMessage(connection).map { String(cString: $0) } ?? ""
        if let (sqlState, message) = serverError(in: text) {
            var kind = PostgresError.Kind.forServerError(sqlState)
            if kind == .connectionLost { kind = .connectionFailed }
            return PostgresError(kind, sqlState: sqlState, message: connectionString.safeMessage(message))
        }
        return PostgresError(.forClientFailure(text), message: connectionString.safeMessage(text))
    }

    /// The SQLSTATE and primary message of the last server error in a verbose libpq message
    /// (`…failed: FATAL:  28P01: password authentication failed for user "fr"`).
    static func serverError(in text: String) -> (String, String)? {
        guard let match = text.matches(of: /:  ([0-9A-Z]{5}): ([^\n]*)/).last else { return nil }
        return (String(match.1), String(match.2))
    }

    /// Why a statement failed: from `result` when there is one, else from the connection's message.
    static func failure(_ connection: OpaquePointer, _ connectionString: PostgresConnectionString, result: OpaquePointer? = nil) -> PostgresError {
        let isConnected = PQstatus(connection) == CONNECTION_OK
        let sqlState = result.flatMap { PQresultErrorField($0, fr_pq_diag_sqlstate) }.map { String(cString: $0) }
        let message = result.flatMap { PQresultErrorField($0, fr_pq_diag_message_primary) }.map { String(cString: $0) }
            ?? result.flatMap { PQresultErrorMessage($0) }.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? PQerrorMessage(connection).map { String(cString: $0) }
            ?? ""
        let kind: PostgresError.Kind =
            if !isConnected { .connectionLost } else if let sqlState { .forServerError(sqlState) } else { .statementFailed }
        return PostgresError(kind, sqlState: sqlState, message: connectionString.redact(message))
    }
}
