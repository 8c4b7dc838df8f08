import Foundation
import Glibc
import PostgresTestSupport
import Testing

@testable import FastReceiverPostgres

/// Connecting, failing to connect, and running statements, against a PostgreSQL of the test's own.
@Suite("PostgresConnection", .enabled(if: TestPostgres.shouldRun, "needs PostgreSQL's server binaries (apt-get install postgresql-15)"))
struct PostgresConnectionTests {
    @Test("Connects with a password URL; libpq's defaults for timeout and keepalives apply unless the URL sets its own")
    func connects() throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        #expect(connection.status == .connected)
        let result = try connection.execute("SELECT current_user, current_database(), current_setting('client_encoding')")
        #expect(result.text(row: 0, column: 0) == TestPostgres.user)
        #expect(result.text(row: 0, column: 1) == TestPostgres.database)
        #expect(result.text(row: 0, column: 2) == "UTF8")
        #expect(connection.option("connect_timeout") == "10")
        #expect(connection.option("keepalives") == "1")
        #expect(connection.option("keepalives_idle") == "30")
        #expect(connection.option("password") == nil)
        #expect(!connection.connectionString.description.contains(server.password))

        let tuned = try PostgresConnection(url: server.url(query: "connect_timeout=3&keepalives_idle=5&application_name=tuned"))
        #expect(tuned.option("connect_timeout") == "3")
        #expect(tuned.option("keepalives_idle") == "5")
        #expect(try tuned.execute("SELECT current_setting('application_name')").text(row: 0, column: 0) == "tuned")
    }

    @Test("A password with URI delimiters works percent-encoded")
    func percentEncodedPassword() throws {
        let server = try TestPostgres()
        let admin = try PostgresConnection(url: server.url)
        let password = "p@ss/w:rd %?#&'"
        try admin.execute("CREATE ROLE forwarder LOGIN PASSWORD 'p@ss/w:rd %?#&'''")
        let connection = try PostgresConnection(url: server.url(user: "forwarder", password: password))
        #expect(try connection.execute("SELECT current_user").text(row: 0, column: 0) == "forwarder")
        #expect(!connection.connectionString.description.contains("p@ss"))
    }

    @Test("A wrong password is an authentication failure, SQLSTATE 28P01, and no password is in the error")
    func wrongPassword() throws {
        let server = try TestPostgres()
        let wrong = "not-the-Password-42"
        let error = try #require(Self.connectError(server.url(password: wrong)))
        #expect(error.kind == .authenticationFailed)
        #expect(error.sqlState == "28P01")
        #expect(error.message.contains("password authentication failed"))
        #expect(!error.description.contains(wrong))
        #expect(!error.description.contains(server.password))
        #expect(!PostgresConnectionString(server.url(password: wrong)).description.contains(wrong))
    }

    @Test("A database that does not exist is its own category, SQLSTATE 3D000")
    func databaseMissing() throws {
        let server = try TestPostgres()
        let error = try #require(Self.connectError(server.url(database: "no_such_database")))
        #expect(error.kind == .databaseMissing)
        #expect(error.sqlState == "3D000")
        #expect(error.message.contains("no_such_database"))
    }

    @Test("Nothing listening on the port: connection refused, without SQLSTATE or password")
    func connectionRefused() throws {
        let port = try TestPostgres.freePort()
        let error = try #require(Self.connectError("postgres://postgres:s3cret-Pa55@127.0.0.1:\(port)/db"))
        #expect(error.kind == .connectionRefused)
        #expect(error.sqlState == nil)
        #expect(!error.description.contains("s3cret"))
    }

    @Test("sslmode=disable connects to a server without TLS; sslmode=require says TLS is unavailable")
    func sslModes() throws {
        let server = try TestPostgres()
        let plain = try PostgresConnection(url: server.url(query: "sslmode=disable"))
        #expect(try plain.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").bool(row: 0, column: 0) == false)
        let error = try #require(Self.connectError(server.url(query: "sslmode=require")))
        #expect(error.kind == .tlsFailed)
        #expect(error.message.contains("server does not support SSL, but SSL was required"))
        #expect(!error.description.contains(server.password))
    }

    @Test("A server that accepts the TCP connection but never answers: the default connect timeout ends the wait")
    func connectTimeout() throws {
        // A listening socket nobody accepts on: the kernel completes the handshake, then silence.
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                try #require(bind(descriptor, pointer, length) == 0 && listen(descriptor, 8) == 0 && getsockname(descriptor, pointer, &length) == 0)
            }
        }
        let port = UInt16(bigEndian: address.sin_port)
        let error = try #require(Self.connectError("postgres://postgres:s3cret@127.0.0.1:\(port)/db", timeout: 2))
        #expect(error.kind == .connectTimeout)
    }

    @Test("Parameters are bound, never spliced: SQL in a value is stored as data")
    func parametersAreBound() throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        try connection.execute("CREATE TABLE x (v text)")
        let hostile = "'); DROP TABLE x; --"
        #expect(try connection.execute("INSERT INTO x (v) VALUES ($1)", [.text(hostile)]).affectedRowCount == 1)
        let result = try connection.execute("SELECT v FROM x WHERE v = $1", [.text(hostile)])
        #expect(result.rowCount == 1)
        #expect(result.text(row: 0, column: 0) == hostile)
    }

    @Test("Every value type round-trips in binary format")
    func valuesRoundTrip() throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        try connection.execute("SET TIME ZONE 'UTC'")
        let result = try connection.execute(
            "SELECT $1::text, $2::bigint, $3::boolean, $4::jsonb, $5::timestamptz, $6::bytea, $7::text, $8::text, $9::text[], $10::jsonb[], $11::bigint[]",
            [
                .text("grüße"), .int64(-9_007_199_254_740_993), .bool(true), .jsonb(#"{"b":[1,2],"a":"x"}"#),
                .timestamptz(unixMicroseconds: 1_767_225_600_250_000), .bytea([0, 1, 0xFF]), .null, .text(""),
                .array([.text("a"), .null(.text), .text("c,\"d\"")], of: .text), .array([], of: .jsonb),
                .array([.int64(1), .int64(Int64.max)], of: .int8),
            ])
        #expect(result.columnCount == 11)
        #expect(result.text(row: 0, column: 0) == "grüße")
        #expect(try result.int64(row: 0, column: 1) == -9_007_199_254_740_993)
        #expect(try result.bool(row: 0, column: 2) == true)
        #expect(result.text(row: 0, column: 3) == #"{"a": "x", "b": [1, 2]}"#)
        #expect(result.text(row: 0, column: 4) == "2026-01-01 00:00:00.25+00")
        #expect(result.text(row: 0, column: 5) == "\\x0001ff")
        #expect(result.isNull(row: 0, column: 6))
        #expect(result.text(row: 0, column: 6) == nil)
        #expect(result.text(row: 0, column: 7) == "")
        #expect(result.text(row: 0, column: 8) == #"{a,NULL,"c,\"d\""}"#)
        #expect(result.text(row: 0, column: 9) == "{}")
        #expect(result.text(row: 0, column: 10) == "{1,9223372036854775807}")
        #expect(throws: PostgresError.self) { try result.int64(row: 0, column: 0) }
        #expect(result.columnIndex(named: "int8") == 1)
        #expect(result.columnIndex(named: "missing") == nil)
    }

    @Test("\\u0000 in a JSON string sent as jsonb is refused for its content (22P05), and the connection goes on")
    func jsonbRefusesNUL() throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        try connection.execute("CREATE TABLE j (body jsonb NOT NULL)")
        let error = try #require(Self.statementError { try connection.execute("INSERT INTO j VALUES ($1)", [.jsonb(#"{"a":"x\u0000y"}"#)]) })
        #expect(error.kind == .contentRefused)
        #expect(error.sqlState == "22P05")
        #expect(!error.message.isEmpty)
        #expect(connection.status == .connected)
        #expect(try connection.execute("SELECT count(*) FROM j").int64(row: 0, column: 0) == 0)
    }

    @Test("A raw NUL byte in a text value is refused, not cut short")
    func textRefusesRawNUL() throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        let error = try #require(Self.statementError { try connection.execute("SELECT $1::text", [.text(utf8: [0x61, 0x00, 0x62])]) })
        #expect(error.kind == .contentRefused)
        #expect(error.sqlState == "22021")
    }

    @Test("A bad statement is refused with its SQLSTATE; a COPY where none was expected is ended cleanly")
    func statementErrors() throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        let syntax = try #require(Self.statementError { try connection.execute("SELEC 1") })
        #expect(syntax.kind == .statementFailed)
        #expect(syntax.sqlState == "42601")
        let missing = try #require(Self.statementError { try connection.execute("SELECT * FROM no_such_table") })
        #expect(missing.sqlState == "42P01")
        try connection.execute("CREATE TABLE c (v text)")
        let copy = try #require(Self.statementError { try connection.execute("COPY c FROM STDIN") })
        #expect(copy.kind == .unexpectedResult)
        #expect(try connection.execute("SELECT 1").int64(row: 0, column: 0) == 1)
        let notCopy = try #require(Self.statementError { try connection.copy("SELECT 1", rows: PostgresCopyRows(columnCount: 1)) })
        #expect(notCopy.kind == .unexpectedResult)
        #expect(try connection.execute("SELECT 2").int64(row: 0, column: 0) == 2)
    }

    @Test("transaction commits when its body returns and rolls back when it throws; COMMIT after a failed statement is an error")
    func transactions() throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        try connection.execute("CREATE TABLE t (v bigint PRIMARY KEY)")
        let inserted = try connection.transaction { connection throws(PostgresError) in
            try connection.execute("INSERT INTO t VALUES ($1), ($2)", [.int64(1), .int64(2)]).affectedRowCount
        }
        #expect(inserted == 2)
        let failure = Self.statementError {
            try connection.transaction { connection throws(PostgresError) in
                try connection.execute("INSERT INTO t VALUES ($1)", [.int64(3)])
                try connection.execute("INSERT INTO t VALUES ($1)", [.int64(1)])  // a duplicate key
            }
        }
        #expect(failure?.kind == .contentRefused)
        #expect(failure?.sqlState == "23505")
        #expect(try connection.execute("SELECT count(*) FROM t").int64(row: 0, column: 0) == 2)

        try connection.begin()
        _ = Self.statementError { try connection.execute("INSERT INTO t VALUES ($1)", [.int64(1)]) }
        let commit = try #require(Self.statementError { try connection.commit() })
        #expect(commit.kind == .statementFailed)
        #expect(commit.message.contains("ROLLBACK"))
        #expect(try connection.execute("SELECT count(*) FROM t").int64(row: 0, column: 0) == 2)
    }

    @Test("A closed connection says so")
    func closed() throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        connection.close()
        #expect(connection.status == .closed)
        #expect(Self.statementError { try connection.execute("SELECT 1") }?.kind == .connectionLost)
    }

    /// The error of connecting to `url`, or nil if it connected.
    static func connectError(_ url: String, timeout: Int = PostgresConnection.defaultConnectTimeout) -> PostgresError? {
        do {
            _ = try PostgresConnection(url: url, connectTimeout: timeout)
            return nil
        } catch {
            return error
        }
    }

    /// The error `body` throws, or nil.
    static func statementError(_ body: () throws -> Void) -> PostgresError? {
        do {
            try body()
            return nil
        } catch let error as PostgresError {
            return error
        } catch {
            Issue.record("not a PostgresError: \(error)")
            return nil
        }
    }
}
