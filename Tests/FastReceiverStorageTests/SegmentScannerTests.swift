import Foundation
import Testing

@testable import FastReceiverCompression
@testable import FastReceiverStorage

@Suite struct SegmentScannerTests {
    /// A small deterministic generator, so that a failure reproduces.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func record(_ id: String, body: String = #"{"a":1}"#) -> [UInt8] {
        JournalRecord(receivedAtMilliseconds: 1_716_978_843_521, eventID: Array(id.utf8), body: Array(body.utf8)).encoded()
    }

    /// Bytes that open a plausible record ("FRJR" and a length) whose claimed payload runs to
    /// `end`, with a wrong CRC: checking each such candidate by reading its span is quadratic.
    static func overlappingCandidates(count: Int, stride: Int, end: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * stride)
        for index in 0..<count {
            let length = UInt32(max(end - index * stride - JournalRecord.headerBytes, JournalRecord.payloadPrefixBytes))
            bytes += Array("FRJR".utf8)
            withUnsafeBytes(of: length.littleEndian) { bytes += $0 }
            if stride == 12 { bytes += [0xDE, 0xAD, 0xBE, 0xEF] }
        }
        return bytes
    }

    @Test("A span's CRC follows from prefix CRCs: crc(A‖B) = shifted(crc(A), |B|) ^ crc(B)",
          arguments: [0, 1, 7, 255, 256, 257, 65_535, 65_536, 3 << 16 | 5, 1 << 26 | 3])
    func crcShift(_ count: Int) {
        var generator = SplitMix(state: UInt64(count))
        let a = (0..<100).map { _ in UInt8.random(in: 0...255, using: &generator) }
        // Long spans repeat one byte, which builds them quickly and checks the shift just as well.
        let b = count > 1 << 16 ? [UInt8](repeating: 0xA5, count: count) : (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let whole = (a + b).withUnsafeBytes { CRC32.checksum($0) }
        let crcA = a.withUnsafeBytes { CRC32.checksum($0) }
        let crcB = b.withUnsafeBytes { CRC32.checksum($0) }
        #expect(CRC32.shifted(crcA, byBytes: count) ^ crcB == whole)
    }

    @Test("On damaged segments the linear scan finds exactly what trying every offset finds")
    func agreesWithReference() {
        var generator = SplitMix(state: 42)
        for round in 0..<300 {
            var bytes: [UInt8] = []
            for index in 0..<Int.random(in: 1...8, using: &generator) {
                bytes += Self.record("id-\(round)-\(index)", body: String(repeating: "x", count: Int.random(in: 0...200, using: &generator)))
            }
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[position] ^= UInt8.random(in: 1...255, using: &generator)
                case 1: bytes.insert(contentsOf: Self.overlappingCandidates(count: 3, stride: 8, end: bytes.count - position), at: position)
                case 2: bytes.insert(contentsOf: Self.record("inner-\(round)"), at: position)
                default: bytes.removeLast(min(Int.random(in: 0...30, using: &generator), bytes.count - 1))
                }
            }
            let segment = SegmentReaderHarness.headerBytes + bytes
            segment.withUnsafeBytes { raw in
                let linear = SegmentReaderHarness.scan(raw, from: SegmentHeader.bytes)
                #expect(linear == SegmentReaderHarness.reference(raw, from: SegmentHeader.bytes), "round \(round)")
            }
        }
    }

    @Test("Records and candidates ending at the end of the data are judged right at every alignment")
    func everyAlignment() {
        let last = Self.record("last")
        var wrong = Self.record("wrong")
        wrong[20] ^= 0x01
        for padding in 0..<130 {
            for tail in [last, wrong, Array(last.dropLast()), last + [0x46]] {
                let segment = SegmentHeader.encode(createdAtMilliseconds: 1) + [UInt8](repeating: 0, count: padding) + tail
                segment.withUnsafeBytes { raw in
                    #expect(SegmentReaderHarness.scan(raw, from: SegmentHeader.bytes) == SegmentReaderHarness.reference(raw, from: SegmentHeader.bytes),
                            "padding \(padding)")
                }
            }
        }
    }

    @Test("Crafted overlapping candidates, each claiming a span to the end, are scanned in linear time",
          arguments: [12, 8])
    func linearOnOverlappingCandidates(_ stride: Int) throws {
        // 4 MiB: trying every candidate's span would read about 700 GB (minutes even in release).
        let size = 4 << 20
        let last = Self.record("after-the-garbage")
        let garbage = Self.overlappingCandidates(count: (size - last.count) / stride, stride: stride, end: size - last.count)
        let segment = SegmentHeader.encode(createdAtMilliseconds: 1) + garbage + last
        let started = ContinuousClock.now
        let items = segment.withUnsafeBytes { raw in
            var scanner = SegmentScanner(raw, from: SegmentHeader.bytes)
            var items: [SegmentScanner.Item] = []
            while let item = scanner.next() { items.append(item) }
            return items
        }
        #expect(items.count == 2)
        #expect(items.first == .skipped(offset: SegmentHeader.bytes, length: garbage.count))
        guard case .record(let payload) = try #require(items.last) else { Issue.record("no record after the garbage"); return }
        #expect(payload.upperBound == segment.count)
        // Generous: linear work takes well under a second; only quadratic work misses this.
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test("Live: an incomplete record is waited for, not skipped; reading resumes where it stopped")
    func liveIncompleteRecord() {
        let first = Self.record("first")
        let second = Self.record("second")
        let segment = SegmentHeader.encode(createdAtMilliseconds: 1) + first + second
        let cut = SegmentHeader.bytes + first.count + 20
        Array(segment[..<cut]).withUnsafeBytes { raw in
            var scanner = SegmentScanner(raw, from: SegmentHeader.bytes, isLive: true)
            #expect(scanner.next() == .record(payload: (SegmentHeader.bytes + 12)..<(SegmentHeader.bytes + first.count)))
            #expect(scanner.next() == nil)
            #expect(scanner.offset == SegmentHeader.bytes + first.count)
            #expect(scanner.awaitedCount == segment.count)
        }
        // Sealed, the same bytes are a torn tail.
        Array(segment[..<cut]).withUnsafeBytes { raw in
            var scanner = SegmentScanner(raw, from: SegmentHeader.bytes)
            _ = scanner.next()
            #expect(scanner.next() == nil)
            #expect(scanner.tailBytes == 20)
        }
        segment.withUnsafeBytes { raw in
            var scanner = SegmentScanner(raw, from: SegmentHeader.bytes + first.count, isLive: true)
            #expect(scanner.next() == .record(payload: (SegmentHeader.bytes + first.count + 12)..<segment.count))
            #expect(scanner.next() == nil)
            #expect(scanner.awaitedCount == nil)
        }
    }

    @Test("Live: after a corrupt record, a candidate still being written comes before a later valid record")
    func liveWaitsForEarlierCandidate() {
        var corrupt = Self.record("corrupt")
        corrupt[30] ^= 0x01
        // A plausible record start inside the corrupt record's body is not complete yet.
        let candidateLength = UInt32(4096)
        var body = Array(#"{"a":"#.utf8) + Array("FRJR".utf8)
        withUnsafeBytes(of: candidateLength.littleEndian) { body += $0 }
        let valid = Self.record("valid")
        let segment = SegmentHeader.encode(createdAtMilliseconds: 1) + corrupt + body + valid
        segment.withUnsafeBytes { raw in
            var live = SegmentScanner(raw, from: SegmentHeader.bytes, isLive: true)
            #expect(live.next() == nil)
            #expect(live.offset == SegmentHeader.bytes)
            #expect(live.awaitedCount == SegmentHeader.bytes + corrupt.count + 5 + 12 + 4096)
            var sealed = SegmentScanner(raw, from: SegmentHeader.bytes)
            #expect(sealed.next() == .skipped(offset: SegmentHeader.bytes, length: corrupt.count + body.count))
            #expect(sealed.next() == .record(payload: (segment.count - valid.count + 12)..<segment.count))
        }
    }

    @Test("A segment read live in pieces finds what one whole read finds")
    func liveInPieces() {
        var corrupt = Self.record("corrupt")
        corrupt[30] ^= 0x10
        let segment = SegmentHeader.encode(createdAtMilliseconds: 1) + Self.record("a") + corrupt + Self.record("b") + Self.record("c")
        segment.withUnsafeBytes { raw in
            let whole = SegmentReaderHarness.scan(raw, from: SegmentHeader.bytes)
            #expect(whole.items.count == 4)
            for split in SegmentHeader.bytes...segment.count {
                SegmentReaderHarness.checkResumedLiveScan(raw, whole: whole, split: split)
            }
        }
    }

    /// The items and where a scan of `segment` ended, with the bytes it took for a torn tail.
    static func walk(_ segment: [UInt8], isLive: Bool = false) -> (items: [SegmentScanner.Item], end: Int, tail: Int, isAtUnwrittenSpace: Bool) {
        segment.withUnsafeBytes { raw in
            var scanner = SegmentScanner(raw, from: SegmentHeader.bytes, isLive: isLive)
            var items: [SegmentScanner.Item] = []
            while let item = scanner.next() { items.append(item) }
            return (items, scanner.offset, scanner.tailBytes, scanner.isAtUnwrittenSpace)
        }
    }

    @Test("Zeros after the last record of a sealed segment are unwritten space, not a torn tail")
    func zeroTail() {
        let records = Self.record("a") + Self.record("b")
        for zeros in [1, 3, 4, 11, 12, 4096] {
            let segment = SegmentHeader.encode(createdAtMilliseconds: 1) + records + [UInt8](repeating: 0, count: zeros)
            let walk = Self.walk(segment)
            #expect(walk.items.count == 2, "\(zeros) zeros")
            #expect(walk.end == SegmentHeader.bytes + records.count && walk.tail == 0 && walk.isAtUnwrittenSpace, "\(zeros) zeros")
        }
        // A preallocated segment never written to holds no record and nothing torn.
        let unused = Self.walk(SegmentHeader.encode(createdAtMilliseconds: 1) + [UInt8](repeating: 0, count: 1 << 16))
        #expect(unused.items.isEmpty && unused.end == SegmentHeader.bytes && unused.tail == 0)
    }

    @Test("A torn record followed by zeros is a torn tail, zeros included; zeros followed by a record are skipped as corrupt")
    func tornRecordBeforeZeros() {
        let a = Self.record("a")
        let b = Self.record("b")
        let torn = SegmentHeader.encode(createdAtMilliseconds: 1) + a + Array(b.prefix(20)) + [UInt8](repeating: 0, count: 100)
        let tornWalk = Self.walk(torn)
        #expect(tornWalk.items.count == 1)
        #expect(tornWalk.end == SegmentHeader.bytes + a.count && tornWalk.tail == 120 && !tornWalk.isAtUnwrittenSpace)
        // Pages that never reached the disk before a crash read as zeros between records.
        let hole = SegmentHeader.encode(createdAtMilliseconds: 1) + a + [UInt8](repeating: 0, count: 4096) + b
        #expect(Self.walk(hole).items == [
            .record(payload: (SegmentHeader.bytes + 12)..<(SegmentHeader.bytes + a.count)),
            .skipped(offset: SegmentHeader.bytes + a.count, length: 4096),
            .record(payload: (SegmentHeader.bytes + a.count + 4096 + 12)..<hole.count),
        ])
    }

    @Test("Live: zeros where the next record would start mean nothing more yet, even with a record after them")
    func liveZeros() {
        let a = Self.record("a")
        let b = Self.record("b")
        // What a reader may see while a batch is written in place: its later bytes before earlier ones.
        let racing = SegmentHeader.encode(createdAtMilliseconds: 1) + a + [UInt8](repeating: 0, count: 64) + b + [UInt8](repeating: 0, count: 500)
        let walk = Self.walk(racing, isLive: true)
        #expect(walk.items == [.record(payload: (SegmentHeader.bytes + 12)..<(SegmentHeader.bytes + a.count))])
        #expect(walk.end == SegmentHeader.bytes + a.count && walk.isAtUnwrittenSpace)
        racing.withUnsafeBytes { raw in
            var scanner = SegmentScanner(raw, from: SegmentHeader.bytes, isLive: true)
            while scanner.next() != nil {}
            #expect(scanner.awaitedCount == nil)
        }
    }
}
