import Foundation
import Testing
@testable import FastReceiver

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

@Suite struct DedupeIndexTests {
    static func key(_ text: String) -> EventKey {
        Array(text.utf8).withUnsafeBytes { EventKey($0) }
    }

    @Test("A new id is recorded once; the second claim finds the first ticket")
    func claim() {
        let index = DedupeIndex(capacity: 100, windowSeconds: 60)
        let first = DurabilityTicket(worker: 1, sequence: 7)
        #expect(index.claim(Self.key("a"), ticket: first, now: 1000) == .new)
        #expect(index.claim(Self.key("a"), ticket: DurabilityTicket(worker: 0, sequence: 9), now: 1001) == .duplicate(first))
        #expect(index.claim(Self.key("b"), ticket: first, now: 1001) == .new)
        #expect(index.count == 2)
    }

    @Test("Ids are forgotten after the window and beyond the capacity, oldest first")
    func bounds() {
        let index = DedupeIndex(capacity: 3, windowSeconds: 60)
        let ticket = DurabilityTicket(worker: 0, sequence: 1)
        for (offset, id) in ["a", "b", "c", "d"].enumerated() {
            #expect(index.claim(Self.key(id), ticket: ticket, now: 1000 + Int64(offset)) == .new)
        }
        #expect(index.count == 3)
        #expect(index.claim(Self.key("a"), ticket: ticket, now: 1004) == .new)  // evicted by capacity
        #expect(index.claim(Self.key("d"), ticket: ticket, now: 1004) != .new)
        #expect(index.claim(Self.key("d"), ticket: ticket, now: 1100) == .new)  // evicted by age
    }

    @Test("Release forgets an id only for the ticket that claimed it")
    func release() {
        let index = DedupeIndex(capacity: 10, windowSeconds: 60)
        let first = DurabilityTicket(worker: 0, sequence: 1)
        _ = index.claim(Self.key("a"), ticket: first, now: 1)
        index.release(Self.key("a"), ticket: DurabilityTicket(worker: 0, sequence: 2))
        #expect(index.claim(Self.key("a"), ticket: first, now: 2) == .duplicate(first))
        index.release(Self.key("a"), ticket: first)
        #expect(index.claim(Self.key("a"), ticket: first, now: 3) == .new)
    }

    @Test("Many ids with deletions in between keep every probe chain intact")
    func churn() {
        // Below 4096 ids the index is one shard, so its bound is exact.
        let index = DedupeIndex(capacity: 4000, windowSeconds: 1_000_000)
        let ticket = DurabilityTicket(worker: 0, sequence: 1)
        for id in 0..<20_000 { _ = index.claim(Self.key("id-\(id)"), ticket: ticket, now: Int64(id)) }
        #expect(index.count == 4000)
        for id in 16_000..<20_000 { #expect(index.claim(Self.key("id-\(id)"), ticket: ticket, now: 20_000) != .new, "id-\(id)") }
        for id in 0..<16_000 where id % 997 == 0 { #expect(index.claim(Self.key("id-\(id)"), ticket: ticket, now: 20_000) == .new) }
    }

    @Test("A sharded index keeps roughly its capacity and always the newest ids")
    func sharded() {
        let index = DedupeIndex(capacity: 64_000, windowSeconds: 1_000_000)
        let ticket = DurabilityTicket(worker: 0, sequence: 1)
        for id in 0..<200_000 { _ = index.claim(Self.key("s-\(id)"), ticket: ticket, now: 1) }
        #expect(index.count <= 64_000 && index.count > 60_000)
        for id in 199_000..<200_000 { #expect(index.claim(Self.key("s-\(id)"), ticket: ticket, now: 1) != .new) }
    }

    @Test("Concurrent claims of the same ids from many threads: each id is new exactly once")
    func concurrentClaims() async {
        let index = DedupeIndex(capacity: 100_000, windowSeconds: 60)
        let news = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var count = 0
                    for id in 0..<2000 where index.claim(Self.key("e\(id)"), ticket: DurabilityTicket(worker: worker, sequence: UInt64(id)), now: 1) == .new {
                        count += 1
                    }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(news == 2000)
    }
}

@Suite struct ContentDecoderTests {
    @Test("gzip and deflate bodies inflate; a body that inflates past the cap is refused")
    func inflate() throws {
        let decoder = ContentDecoder(limit: 1000)
        let gzip = try gzipped(Array(#"{"a":1}"#.utf8))
        let result = gzip.withUnsafeBytes { raw in decoder.decode(raw, coding: .gzip).map { Array($0) } }
        #expect(try result.get() == Array(#"{"a":1}"#.utf8))
        let bomb = try gzipped(Array(repeating: UInt8(ascii: "a"), count: 5000))
        #expect(bomb.withUnsafeBytes { decoder.decode($0, coding: .gzip).map { _ in 0 } } == .failure(.tooLarge(limit: 1000)))
        #expect([1, 2, 3].withUnsafeBytes { decoder.decode($0, coding: .gzip).map { _ in 0 } } == .failure(.malformed))
        #expect(Array("GZIP".utf8).withUnsafeBytes { ContentDecoder.coding(of: $0) } == .gzip)
        #expect(Array("br".utf8).withUnsafeBytes { ContentDecoder.coding(of: $0) } == nil)
    }

    @Test("A gzip body of several members (RFC 1952 §2.2) inflates to all of them, under one cap")
    func members() throws {
        let decoder = ContentDecoder(limit: 1000)
        func decode(_ bytes: [UInt8]) -> Result<[UInt8], ContentDecoder.Failure> {
            bytes.withUnsafeBytes { raw in decoder.decode(raw, coding: .gzip).map { Array($0) } }
        }
        let parts = [#"{"event":{"eventId":"#, #""m1","data":{}},"#, #""labels":{}}"#].map { Array($0.utf8) }
        let whole = parts.flatMap { $0 }
        // As `gzip -c a > x; gzip -c b >> x` makes them.
        let two = try gzipped(parts[0]) + gzipped(parts[1] + parts[2])
        let three = try parts.map { try gzipped($0) }.flatMap { $0 }
        #expect(try decode(two).get() == whole)
        #expect(try decode(three).get() == whole)
        #expect(try decode(try gzipped([]) + gzipped(whole) + gzipped([])).get() == whole)
        // Whatever follows a member must be a whole member.
        #expect(decode(three + [0]) == .failure(.malformed))
        #expect(decode(three + Array("trailing".utf8)) == .failure(.malformed))
        #expect(decode(three + Array(try gzipped(parts[0]).dropLast(4))) == .failure(.malformed))
        // The cap is on all members together.
        let six = try gzipped(Array(repeating: UInt8(ascii: "a"), count: 600))
        #expect(decode(six + six) == .failure(.tooLarge(limit: 1000)))
        let five = try gzipped(Array(repeating: UInt8(ascii: "a"), count: 500))
        #expect(try decode(five + five).get().count == 1000)
    }
}

/// gzip via the system's gzip tool, for test inputs.
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let input = NSTemporaryDirectory() + "fast-receiver-gzip-\(UUID().uuidString)"
    FileManager.default.createFile(atPath: input, contents: Data(bytes))
    defer { try? FileManager.default.removeItem(atPath: input) }
    let gzip = try ChildProcess(executable: "/bin/gzip", arguments: ["-n", "-c", input])
    try #require(gzip.waitForExit(timeout: 30) == 0)
    return Array(try Data(contentsOf: URL(fileURLWithPath: gzip.outputFile)))
}
