import Foundation
import Testing

@testable import FastReceiverStorage

@Suite struct JournalRecordTests {
    let record = JournalRecord(receivedAtMilliseconds: 1_795_928_852_505, eventID: Array("c7fa4e34fet12rl646l0".utf8),
                               body: Array(#"{"event":{"eventId":"c7fa4e34fet12rl646l0"}}"#.utf8))

    @Test("A record round-trips and its layout is the documented one")
    func roundTrip() throws {
        let bytes = record.encoded()
        #expect(bytes.count == 12 + 10 + record.eventID.count + record.body.count)
        #expect(Array(bytes[0..<4]) == Array("FRJR".utf8))
        #expect(bytes[4] == UInt8(10 + record.eventID.count + record.body.count))
        bytes.withUnsafeBytes { raw in
            guard case .record(let payload, let next) = JournalRecord.scan(raw, at: 0, maxPayload: 1 << 20) else {
                Issue.record("not recognised")
                return
            }
            #expect(next == bytes.count)
            #expect(JournalRecord.decode(payload: UnsafeRawBufferPointer(rebasing: raw[payload])) == record)
        }
    }

    @Test("A changed byte anywhere is caught by the CRC or the magic; a short record is truncated")
    func detectsDamage() {
        let bytes = record.encoded()
        for index in 0..<bytes.count {
            var damaged = bytes
            damaged[index] ^= 0x20
            damaged.withUnsafeBytes { raw in
                let scan = JournalRecord.scan(raw, at: 0, maxPayload: 1 << 20)
                #expect(scan == .corrupt || scan == .truncated, "byte \(index)")
            }
        }
        for cut in [1, 11, 12, 30, bytes.count - 1] {
            Array(bytes[..<cut]).withUnsafeBytes { #expect(JournalRecord.scan($0, at: 0, maxPayload: 1 << 20) == .truncated) }
        }
    }

    @Test("Segment scan: a torn tail ends the valid data; a corrupt middle record is skipped")
    func segmentScan() {
        let second = JournalRecord(receivedAtMilliseconds: 2, eventID: Array("b".utf8), body: Array("{}".utf8))
        let third = JournalRecord(receivedAtMilliseconds: 3, eventID: Array("c".utf8), body: Array("{}".utf8))
        let header = SegmentHeader.encode(createdAtMilliseconds: 1)
        func scan(_ segment: [UInt8]) -> (records: Int, skipped: [SegmentScanner.Item], end: Int, tail: Int) {
            segment.withUnsafeBytes { raw in
                var scanner = SegmentScanner(raw, from: SegmentHeader.bytes, maxPayload: 1 << 20)
                var records = 0
                var skipped: [SegmentScanner.Item] = []
                while let item = scanner.next() {
                    if case .record = item { records += 1 } else { skipped.append(item) }
                }
                return (records, skipped, scanner.offset, scanner.tailBytes)
            }
        }
        var segment = header + record.encoded() + second.encoded() + third.encoded()
        let whole = scan(segment)
        #expect(whole.records == 3 && whole.skipped.isEmpty && whole.tail == 0 && whole.end == segment.count)
        let validEnd = segment.count
        segment += Array(third.encoded().prefix(9))
        let torn = scan(segment)
        #expect(torn.records == 3 && torn.skipped.isEmpty && torn.tail == 9 && torn.end == validEnd)
        var flipped = header + record.encoded() + second.encoded() + third.encoded()
        let secondStart = header.count + record.encoded().count
        flipped[secondStart + 15] ^= 0xFF
        let corrupt = scan(flipped)
        #expect(corrupt.records == 2 && corrupt.tail == 0)
        #expect(corrupt.skipped == [.skipped(offset: secondStart, length: second.encoded().count)])
    }

    @Test("Segment names sort in creation order and parse back")
    func segmentNames() {
        let name = SegmentName(createdAtMilliseconds: 1_795_928_852_505, worker: 3, sequence: 12)
        #expect(name.description == "1795928852505-w003-000012.seg")
        #expect(SegmentName(fileName: name.description) == name)
        #expect(SegmentName(fileName: name.description + ".gz")?.isCompressed == true)
        #expect(SegmentName(fileName: "repairs.log") == nil)
        #expect(SegmentName(fileName: "x.seg.corrupt") == nil)
        #expect(name < SegmentName(createdAtMilliseconds: 1_795_928_852_506, worker: 0, sequence: 1))
        for wide in ["1795928852505-w1000-1000000.seg", "1795928852505-w4294967299-000012.seg.gz"] {
            #expect(SegmentName(fileName: wide)?.description == wide)
        }
    }

    @Test("A file name that would print as another segment's is not a segment",
          arguments: ["01795928852505-w003-000012.seg", "+795928852505-w003-000012.seg",
                      "-000000000001-w003-000012.seg", "1795928852505-w003-0000012.seg.gz", "1795928852505-w+03-000012.seg"])
    func nonCanonicalNames(_ fileName: String) {
        #expect(SegmentName(fileName: fileName) == nil)
    }
}
