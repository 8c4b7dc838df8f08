import FastReceiverPostgres
import PostgresTestSupport
import Testing

/// The server going away under an open connection, and coming back on the same port.
@Suite("PostgreSQL restarts", .enabled(if: TestPostgres.shouldRun, "needs PostgreSQL's server binaries (apt-get install postgresql-15)"))
struct PostgresRestartTests {
    @Test("A crash (stop -m immediate) mid-connection: the next call says the connection was lost; reset and new connections work after the restart")
    func crash() throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        try connection.execute("CREATE TABLE t (v bigint)")
        try connection.execute("INSERT INTO t VALUES (1)")
        try connection.begin()
        try connection.execute("INSERT INTO t VALUES (2)")

        try server.stop(.immediate)
        let lost = PostgresConnectionTests.statementError { try connection.commit() }
        #expect(lost?.kind == .connectionLost)
        #expect(connection.status == .broken)
        let down = PostgresConnectionTests.statementError { try connection.reset() }
        #expect(down?.kind == .connectionRefused)

        try server.start()
        try connection.reset()
        #expect(connection.status == .connected)
        // The committed row survived the crash; the one whose COMMIT never arrived did not.
        #expect(try connection.execute("SELECT array_agg(v ORDER BY v)::text FROM t").text(row: 0, column: 0) == "{1}")
        let fresh = try PostgresConnection(url: server.url)
        #expect(try fresh.execute("SELECT count(*) FROM t").int64(row: 0, column: 0) == 1)
    }

    @Test("A clean stop (stop -m fast) also ends the connection as lost, and the server comes back on the same port")
    func fastStop() throws {
        let server = try TestPostgres()
        let connection = try PostgresConnection(url: server.url)
        let port = server.port
        try server.stop(.fast)
        let lost = PostgresConnectionTests.statementError { try connection.execute("SELECT 1") }
        #expect(lost?.kind == .connectionLost)
        try server.start()
        #expect(server.port == port)
        try connection.reset()
        #expect(try connection.execute("SELECT 1").int64(row: 0, column: 0) == 1)
    }
}
