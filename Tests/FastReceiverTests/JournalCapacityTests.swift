import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiver
@testable import FastReceiverStorage

/// Every body the server accepts can be stored: the journal's batches and segments grow with the
/// body limit, so a verified event is never refused for its size alone.
@Suite(.serialized) struct JournalCapacityTests {
    /// A signed DT-shaped event whose body is `bytes` long.
    static func largeEvent(_ server: TestServer, id: String, bytes: Int) throws -> (body: [UInt8], signature: String) {
        let head = #"{"event":{"eventId":"\#(id)","targetName":"projects/p/devices/d","eventType":"touch","data":{"touch":{}}},"labels":{"pad":""#
        let tail = #""}}"#
        let body = Array(head.utf8) + [UInt8](repeating: UInt8(ascii: "p"), count: bytes - head.utf8.count - tail.utf8.count) + Array(tail.utf8)
        return (body, try server.factory.sign(body: body, issuedAt: Int64(Date().timeIntervalSince1970)))
    }

    @Test("A batch holds the largest record of any body limit the server accepts",
          arguments: [1024, 1 << 20, 16 << 20, 20 << 20, JournalRecord.maxBodyBytes])
    func batchFitsLargestRecord(_ maxBodyBytes: Int) {
        let largest = JournalRecord.encodedCount(eventIDCount: JournalRecord.maxEventIDBytes, bodyCount: maxBodyBytes)
        #expect(WorkerJournal.Settings.batchBytes(maxBodyBytes: maxBodyBytes) >= 2 * largest)
        #expect(WorkerJournal.Settings.largestSegmentBytes(segmentMaxBytes: 64 << 10) >= SegmentHeader.bytes + WorkerJournal.Settings.batchBytes(maxBodyBytes: maxBodyBytes))
        #expect(JournalRecord.maxPayloadBytes >= largest - JournalRecord.headerBytes)
    }

    @Test("With --max-body-bytes 20 MiB, a signed 17 MiB event is stored and answered 200")
    func seventeenMiBEvent() throws {
        let server = try TestServer(threads: 1) { $0.server.limits.maxBodyBytes = 20 << 20 }
        let (body, signature) = try Self.largeEvent(server, id: "large17mib00000000000", bytes: 17 << 20)
        let connection = try server.client()
        #expect(try connection.post(body: body, headers: ["X-Dt-Signature: \(signature)"]).status == 200)
        #expect(try server.postValidEvent() == 200)
        var stored: [JournalRecord] = []
        let catalog = JournalCatalog(dataDirectory: server.dataDirectory)
        for name in catalog.segments() { catalog.forEachRecord(in: name) { stored.append($0) } }
        #expect(stored.count == 2)
        #expect(stored.first?.eventID == Array("large17mib00000000000".utf8))
        #expect(stored.first.map { $0.body == body } == true, "the stored body differs from the one sent")
    }

    @Test("An event larger than --segment-bytes gets a segment of its own and is read back, as is the next one")
    func recordLargerThanSegment() throws {
        let server = try TestServer(threads: 1) {
            $0.server.limits.maxBodyBytes = 1 << 20
            $0.journal.segmentMaxBytes = 64 << 10
        }
        #expect(try server.postValidEvent() == 200)
        let (body, signature) = try Self.largeEvent(server, id: "larger0000000segment", bytes: 300_000)
        #expect(try server.client().post(body: body, headers: ["X-Dt-Signature: \(signature)"]).status == 200)
        #expect(try server.postValidEvent() == 200)
        let lines = server.storedLines()
        #expect(lines.count == 3)
        #expect(lines[1].contains(#""eventId":"larger0000000segment""#))
        #expect(server.journal.segmentCount >= 2)
    }
}
