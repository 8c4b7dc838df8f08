import Testing

@testable import FastReceiverPostgres

@Suite("PostgresConnectionString")
struct PostgresConnectionStringTests {
    @Test("The description names host, port, database, user and sslmode, never the password")
    func description() {
        let string = PostgresConnectionString("postgres://fr:s3cret-Pa55@db.example.com:5432/events?sslmode=require")
        #expect(string.description == "host=db.example.com port=5432 dbname=events user=fr password=*** sslmode=require")
    }

    @Test("A percent-encoded password is hidden in both spellings")
    func percentEncoded() {
        let string = PostgresConnectionString("postgresql://fr:p%40ss%2Fw%3Ard@db:5432/events")
        #expect(!string.description.contains("p%40ss"))
        #expect(string.redact("a p@ss/w:rd b p%40ss%2Fw%3Ard c") == "a *** b *** c")
    }

    @Test("key=value strings and a password in the query are hidden too", arguments: [
        ("host=db port=5432 dbname=events user=fr password=s3cret-Pa55", "s3cret-Pa55"),
        ("host=db password='s3cret Pa55' dbname=events", "s3cret Pa55"),
        ("postgres://fr@db/events?password=s3cret-Pa55&sslmode=disable", "s3cret-Pa55"),
    ])
    func otherSpellings(text: String, password: String) {
        let string = PostgresConnectionString(text)
        #expect(!string.description.contains(password))
        #expect(!string.redact("libpq said \(password)").contains(password))
    }

    @Test("libpq's message about a malformed URI quotes the URI; the password never shows", arguments: [
        "postgres://fr:s3cret-Pa55@[::1/events",
        "postgres://fr:s3cret%zzPa55@db/events",
        "postgres://fr:s3cret-Pa55@db/events?sslmod=require",
        "postgres://fr:s3cret-Pa55@db:port/events",
        "host=db password=s3cret-Pa55 dangling",
    ])
    func malformed(text: String) throws {
        let string = PostgresConnectionString(text)
        #expect(string.parseFailure?.contains("s3cret") != true)
        #expect(!string.description.contains("s3cret"))
        let error = try #require(Self.connectionError(text))
        #expect(error.kind == .invalidConnectionString)
        #expect(!error.description.contains("s3cret"))
    }

    @Test("An unencoded '/' or '@' in the password: libpq would cut it into host, port or database, so nothing of it is shown", arguments: [
        "postgres://fr:pa55/w0rd@127.0.0.1:5432/events",
        "postgres://127.0.0.1:1/w0rd@127.0.0.1:5432/events",
        "postgres://fr:pa55@w0rd@127.0.0.1:1/events?hostaddr=127.0.0.1",
    ])
    func ambiguousUserInfo(text: String) {
        let string = PostgresConnectionString(text)
        for piece in ["pa55", "w0rd"] { #expect(!string.description.contains(piece)) }
        let error = Self.connectionError(text)
        #expect(error != nil)
        for piece in ["pa55", "w0rd"] { #expect(error?.description.contains(piece) == false) }
    }

    @Test("Percent-decoding handles valid and malformed escapes")
    func percentDecoding() {
        #expect(PostgresConnectionString.percentDecoded("a%20b%2F") == "a b/")
        #expect(PostgresConnectionString.percentDecoded("plain") == nil)
        #expect(PostgresConnectionString.percentDecoded("bad%zz") == nil)
        #expect(PostgresConnectionString.percentDecoded("cut%2") == nil)
    }

    /// The error of connecting with `text` (with a 2 s timeout: nothing here should connect).
    static func connectionError(_ text: String) -> PostgresError? {
        do {
            _ = try PostgresConnection(PostgresConnectionString(text), connectTimeout: 2)
            return nil
        } catch {
            return error
        }
    }
}
