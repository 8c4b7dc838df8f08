import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@testable import FastReceiverStorage
@testable import FastReceiverSystem

@Suite struct JournalCatalogTests {
    static func object(_ line: String) throws -> [String: Any] {
        #expect(!line.contains("\n") && !line.contains("\r"))
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
    }

    static func line(id: [UInt8], at milliseconds: Int64 = 1_716_978_843_521, body: String = #"{"a":1}"#) -> String {
        JournalCatalog.line(for: JournalRecord(receivedAtMilliseconds: milliseconds, eventID: id, body: Array(body.utf8)))
    }

    @Test("An id holding a quote cannot add members to the line")
    func injectedID() throws {
        let line = Self.line(id: Array(#"x","injected":"yes"#.utf8))
        #expect(line == #"{"receivedAt":"2024-05-29T10:34:03.521Z","eventId":"x\",\"injected\":\"yes","event":{"a":1}}"#)
        let object = try Self.object(line)
        #expect(object["injected"] == nil)
        #expect(object["eventId"] as? String == #"x","injected":"yes"#)
    }

    @Test("Ids with line breaks, control characters, backslashes and non-ASCII text print as one escaped JSON string",
          arguments: ["line\nbreak", "tab\there\r\n", "nul\u{0}and\u{1F}unit", #"back\slash"#, "\u{2028}ok\u{1F600}", "plain-c7fa4e34fet12rl646l0"])
    func escapedIDs(_ id: String) throws {
        let line = Self.line(id: Array(id.utf8))
        #expect(try Self.object(line)["eventId"] as? String == id)
    }

    @Test("An id that is not UTF-8 prints as null with its bytes in rawEventId; an empty id as null")
    func rawIDs() throws {
        let bytes: [UInt8] = [0x61, 0xFF, 0xFE, 0x22, 0x0A, 0xED, 0xA0, 0x80]
        let object = try Self.object(Self.line(id: bytes))
        #expect(object["eventId"] is NSNull)
        #expect((object["rawEventId"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init) == bytes)
        let empty = try Self.object(Self.line(id: []))
        #expect(empty["eventId"] is NSNull)
        #expect(empty["rawEventId"] == nil)
    }

    @Test("Receive times outside RFC 3339's years print as null with the milliseconds beside them",
          arguments: [Int64.min, -62_167_219_200_001, 253_402_300_800_000, Int64.max])
    func extremeTimes(_ milliseconds: Int64) throws {
        let object = try Self.object(Self.line(id: Array("a".utf8), at: milliseconds))
        #expect(object["receivedAt"] is NSNull)
        #expect((object["receivedAtMilliseconds"] as? NSNumber)?.int64Value == milliseconds)
    }

    @Test("The ends of RFC 3339's range print as times")
    func representableEnds() throws {
        let first = try Self.object(Self.line(id: [], at: RFC3339.representableMilliseconds.lowerBound))
        #expect(first["receivedAt"] as? String == "0000-01-01T00:00:00.000Z")
        let last = try Self.object(Self.line(id: [], at: RFC3339.representableMilliseconds.upperBound))
        #expect(last["receivedAt"] as? String == "9999-12-31T23:59:59.999Z")
        #expect(last["receivedAtMilliseconds"] == nil)
    }

    @Test("A body is embedded only when it is a JSON object; line breaks between its tokens become spaces")
    func bodies() throws {
        let spaced = try Self.object(Self.line(id: [], body: "{\r\n\"a\":\n[1,\n2]}\n"))
        #expect((spaced["event"] as? [String: Any])?["a"] as? [Int] == [1, 2])
        for body in ["{\"a\":\"raw\nnewline\"}", "[1,2]", "{\"a\":1} trailing", "{\"a\":1}{\"b\":2}", "not json"] {
            let object = try Self.object(Self.line(id: [], body: body))
            #expect(object["event"] is NSNull, "\(body)")
            #expect((object["rawBody"] as? String).flatMap { Data(base64Encoded: $0) } == Data(body.utf8), "\(body)")
        }
    }

    @Test("Stats and times for people never trap on any stored time")
    func timeText() {
        #expect(JournalCatalog.timeText(1_716_978_843_521) == "2024-05-29T10:34:03.521Z")
        #expect(JournalCatalog.timeText(.min) == "-9223372036854775808 ms since 1970 (outside years 0000-9999)")
        #expect(JournalCatalog.timeText(.max).hasPrefix("9223372036854775807 ms"))
    }

    @Test("Each worker's newest plain segment is live; compressed and older ones are sealed")
    func liveSegments() {
        let names = [
            SegmentName(createdAtMilliseconds: 1, worker: 0, sequence: 1, isCompressed: true),
            SegmentName(createdAtMilliseconds: 2, worker: 0, sequence: 2),
            SegmentName(createdAtMilliseconds: 3, worker: 0, sequence: 3),
            SegmentName(createdAtMilliseconds: 2, worker: 1, sequence: 1, isCompressed: true),
        ]
        #expect(JournalCatalog.liveSegments(among: names) == [names[2]])
    }

    @Test("A compressed segment that inflates past the limit is refused without inflating it all")
    func inflateCap() throws {
        let directory = NSTemporaryDirectory() + "fast-receiver-inflate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/bomb.gz"
        _ = FileManager.default.createFile(atPath: path, contents: Data(try gzipped([UInt8](repeating: 0, count: 3 << 20))))
        #expect(throws: SegmentReader.Failure.inflatesPast(1 << 20)) { try SegmentReader.inflate(path, limit: 1 << 20).get() }
        let whole = try SegmentReader.inflate(path, limit: 3 << 20).get()
        #expect(whole.count == 3 << 20 && whole.inflatedBeforeDamage == nil)
        // A stream cut short yields what inflated before the cut, and says so.
        var generator = SegmentScannerTests.SplitMix(state: 7)
        let compressed = try gzipped((0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        _ = FileManager.default.createFile(atPath: path, contents: Data(compressed.prefix(compressed.count / 2)))
        let cut = try SegmentReader.inflate(path, limit: 3 << 20).get()
        #expect(cut.inflatedBeforeDamage == cut.count && cut.count > 0 && cut.count < 1 << 20)
    }

    @Test("Segment files that are not regular files are refused without blocking")
    func notRegularFiles() throws {
        let directory = NSTemporaryDirectory() + "fast-receiver-fifo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(mkfifo(directory + "/fifo", 0o600) == 0)
        #expect(throws: SegmentReader.Failure.notARegularFile) { try SegmentReader.read(directory + "/fifo", from: 0, limit: 1 << 20).get() }
        #expect(throws: SegmentReader.Failure.notARegularFile) { try SegmentReader.inflate(directory + "/fifo", limit: 1 << 20).get() }
        #expect(symlink(directory + "/fifo", directory + "/link") == 0)
        #expect(throws: SegmentReader.Failure.unreadable(call: "open", errno: ELOOP)) { try SegmentReader.map(directory + "/link", limit: 1 << 20).get() }
    }

    /// Writes `bytes` at `offset` of a file, in place, as the server writes a preallocated segment.
    static func write(_ bytes: [UInt8], at offset: Int, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(bytes))
    }

    /// Reads a live segment from where `progress` stands: the ids found and the problems reported.
    static func readLive(_ catalog: JournalCatalog, _ progress: inout JournalCatalog.Progress) throws -> (ids: [String], problems: [JournalCatalog.Problem]) {
        let name = try #require(catalog.segments().first)
        var ids: [String] = []
        var problems: [JournalCatalog.Problem] = []
        catalog.read(name, isLive: true, progress: &progress, problem: { problems.append($0) }) { payload in
            ids.append(String(decoding: payload[JournalRecord.eventID(payload: payload)], as: UTF8.self))
        }
        return (ids, problems)
    }

    @Test("A live preallocated segment is followed as records are written into its zeros, which are never reported")
    func livePreallocated() throws {
        let (data, path) = try JournalTestData.dataDirectory(segment: [], then: [UInt8](repeating: 0, count: 1 << 20))
        defer { try? FileManager.default.removeItem(atPath: data) }
        let catalog = JournalCatalog(dataDirectory: data)
        var progress = JournalCatalog.Progress()
        #expect(try Self.readLive(catalog, &progress) == ([], []))
        var offset = SegmentHeader.bytes
        for batch in [["a"], ["b", "c"], ["d"]] {
            let bytes = batch.flatMap { JournalTestData.record($0).encoded() }
            try Self.write(bytes, at: offset, to: path)
            offset += bytes.count
            #expect(try Self.readLive(catalog, &progress) == (batch, []))
            #expect(progress.offset == offset)
        }
        #expect(try Self.readLive(catalog, &progress) == ([], []))
        let stats = catalog.stats()
        #expect(stats.records == 4 && stats.tornTails == 0 && stats.corruptRegions == 0)
        #expect(stats.plainBytesValid == offset && stats.plainBytesAllocated == SegmentHeader.bytes + (1 << 20))
    }

    @Test("A live segment whose records run past the first window is read to its last record in one call")
    func liveBeyondFirstWindow() throws {
        let records = (0..<10_000).map { JournalTestData.record("id-\($0)") }
        let bytes = records.flatMap { $0.encoded() }
        #expect(bytes.count > 4 * JournalCatalog.firstLiveWindow)
        let (data, _) = try JournalTestData.dataDirectory(segment: records, then: [UInt8](repeating: 0, count: 1 << 20))
        defer { try? FileManager.default.removeItem(atPath: data) }
        let catalog = JournalCatalog(dataDirectory: data)
        var progress = JournalCatalog.Progress()
        let read = try Self.readLive(catalog, &progress)
        #expect(read.ids == (0..<10_000).map { "id-\($0)" })
        #expect(read.problems.isEmpty)
        #expect(progress.offset == SegmentHeader.bytes + bytes.count)
    }

    @Test("A corrupt record followed by a valid one in a live segment is read again, then reported once and skipped")
    func liveCorruption() throws {
        var corrupt = JournalTestData.record("corrupt").encoded()
        corrupt[25] ^= 0x40
        let a = JournalTestData.record("a").encoded()
        let (data, _) = try JournalTestData.dataDirectory(segment: [], then: a + corrupt + JournalTestData.record("b").encoded() + [UInt8](repeating: 0, count: 4096))
        defer { try? FileManager.default.removeItem(atPath: data) }
        let catalog = JournalCatalog(dataDirectory: data)
        var progress = JournalCatalog.Progress()
        let read = try Self.readLive(catalog, &progress)
        #expect(read.ids == ["a", "b"])
        #expect(read.problems == [.corrupt(offset: SegmentHeader.bytes + a.count, length: corrupt.count)])
        #expect(try Self.readLive(catalog, &progress) == ([], []))
    }
}
