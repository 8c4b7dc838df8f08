import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiverStorage

/// Dedupe through a real server: signed events whose ids are one JSON value are stored once,
/// and bodies that are not JSON are always stored.
@Suite(.serialized) struct EventIdentityServerTests {
    /// Every stored record: in storage order per worker's journal, not across them.
    static func storedRecords(_ server: TestServer) -> [JournalRecord] {
        let catalog = JournalCatalog(dataDirectory: server.dataDirectory)
        var records: [JournalRecord] = []
        for name in catalog.segments() {
            catalog.forEachRecord(in: name) { records.append($0) }
        }
        return records
    }

    /// Posts `body`, validly signed, on a new connection; returns the status.
    static func post(_ body: [UInt8], to server: TestServer) throws -> Int {
        let signature = try server.factory.sign(body: body, issuedAt: Int64(Date().timeIntervalSince1970))
        return try server.client().post(body: body, headers: ["X-Dt-Signature: \(signature)"]).status
    }

    @Test("Two signed events whose eventIds differ only in escaping are stored once, under the decoded id")
    func escapedIDIsOneEvent() throws {
        let server = try TestServer()
        // `\u0061` is "a": both ids are "escabc". The bodies differ (fresh readings and timestamps).
        let escaped = try server.factory.request(type: .temperature, eventID: #"esc\u0061bc"#)
        let plain = try server.factory.request(type: .touch, eventID: "escabc")
        #expect(escaped.body != plain.body)
        #expect(try Self.post(escaped.body, to: server) == 200)
        #expect(try Self.post(plain.body, to: server) == 200)
        let records = Self.storedRecords(server)
        #expect(records.count == 1)
        #expect(records.first?.eventID == Array("escabc".utf8))
        #expect(records.first?.body == escaped.body)

        // One more "a" is another id, and another event.
        let other = try server.factory.request(type: .touch, eventID: "escaabc")
        #expect(try Self.post(other.body, to: server) == 200)
        #expect(Set(Self.storedRecords(server).map(\.eventID)) == [Array("escabc".utf8), Array("escaabc".utf8)])
    }

    @Test("A repeated eventId counts at its last occurrence, however the body begins")
    func lastEventIDCounts() throws {
        let server = try TestServer()
        let first = Array(#"{"event":{"eventId":"first-copy","eventId":"last-copy","eventType":"touch"}}"#.utf8)
        let second = Array(#" {"event":{"eventId":"last-copy","eventType":"touch"}}"#.utf8)
        #expect(try Self.post(first, to: server) == 200)
        #expect(try Self.post(second, to: server) == 200)
        let records = Self.storedRecords(server)
        #expect(records.map(\.eventID) == [Array("last-copy".utf8)])
    }

    @Test("Signed bodies that are not valid JSON are all stored, never deduplicated on a shared prefix")
    func invalidJSONIsStored() throws {
        let server = try TestServer()
        let prefix = #"{"event":{"eventId":"c7fa4e34fet12rl646l0","eventType":"touch"},"labels":"#
        let bodies = [prefix + "{broken", prefix + "{also broken", prefix + "{broken"].map { Array($0.utf8) }
        for body in bodies {
            #expect(try Self.post(body, to: server) == 200)
        }
        let records = Self.storedRecords(server)
        #expect(records.map(\.body).sorted { $0.lexicographicallyPrecedes($1) } == bodies.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(records.allSatisfy { $0.eventID.isEmpty })
    }
}
