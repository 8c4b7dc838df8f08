import FastReceiverPostgres
import Testing

@Suite("PostgresIdentifier")
struct PostgresIdentifierTests {
    @Test("A table name is checked, folded to lower case and double-quoted", arguments: [
        ("dt_events", "\"dt_events\""),
        ("DT_Events", "\"dt_events\""),
        ("_t1", "\"_t1\""),
        ("user", "\"user\""),
        ("ingest.dt_events", "\"ingest\".\"dt_events\""),
        (String(repeating: "a", count: 63), "\"" + String(repeating: "a", count: 63) + "\""),
    ])
    func valid(text: String, quoted: String) throws {
        let identifier = try #require(PostgresIdentifier(text))
        #expect(identifier.quoted == quoted)
    }

    @Test("Anything but letters, digits and '_' in one or two parts is refused", arguments: [
        "", "1table", "dt-events", "dt events", "dt_events;", "\"dt_events\"", "t'; DROP TABLE x; --",
        "a.b.c", ".t", "t.", "täble", String(repeating: "a", count: 64), "s.\(String(repeating: "a", count: 64))",
    ])
    func invalid(text: String) {
        #expect(PostgresIdentifier(text) == nil)
    }

    @Test("A related name keeps the schema and is checked again")
    func appending() throws {
        let table = try #require(PostgresIdentifier("ingest.dt_events"))
        #expect(table.appending("_rejected")?.quoted == "\"ingest\".\"dt_events_rejected\"")
        let long = try #require(PostgresIdentifier(String(repeating: "a", count: 60)))
        #expect(long.appending("_rejected") == nil)
    }
}
