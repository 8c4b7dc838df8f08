import FastReceiverTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

@testable import FastReceiverStorage
@testable import FastReceiverSystem

@Suite(.serialized) struct JournalRecoveryTests {
    static func open(_ data: String) throws -> Journal {
        // Small segments: each start prepares its worker's first segment, zeros and all.
        var settings = WorkerJournal.Settings()
        settings.segmentMaxBytes = 1 << 20
        return try Journal(dataDirectory: data, workerCount: 1, settings: settings, dedupeCapacity: 1000, health: StorageHealth(),
                           wake: [try WakeSignal()])
    }

    /// The bytes a compressed segment inflates to.
    static func inflatedCount(_ path: String) throws -> Int {
        try SegmentReader.inflate(path, limit: 1 << 30).get().count
    }

    static func storedIDs(_ data: String) -> [String] {
        let catalog = JournalCatalog(dataDirectory: data)
        var ids: [String] = []
        for name in catalog.segments() { catalog.forEachRecord(in: name) { ids.append(String(decoding: $0.eventID, as: UTF8.self)) } }
        return ids
    }

    @Test("Garbage appended to a segment is a torn tail: truncated, counted, records kept")
    func tornTail() throws {
        let (data, path) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("a"), JournalTestData.record("b")], then: Array("\u{0}\u{1}garbage".utf8) + Array(JournalTestData.record("c").encoded().prefix(20)))
        defer { try? FileManager.default.removeItem(atPath: data) }
        let journal = try Self.open(data)
        #expect(journal.recovery.tornTailsRepaired == 1)
        #expect(journal.recovery.tornBytesRemoved == 29)
        #expect(journal.recovery.records == 2)
        journal.close()
        #expect(Self.storedIDs(data) == ["a", "b"])
        #expect(JournalCatalog(dataDirectory: data).stats().tornTailsRepaired == 1)
        _ = path
    }

    @Test("A byte flipped mid-segment loses that record only; the rest are kept and it is reported")
    func flippedByte() throws {
        var bytes = [JournalTestData.record("a"), JournalTestData.record("b"), JournalTestData.record("c")].flatMap { $0.encoded() }
        bytes[JournalTestData.record("a").encoded().count + 30] ^= 0x01
        let data = NSTemporaryDirectory() + "fast-receiver-recovery-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.createDirectory(atPath: data + "/journal", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: data + "/journal/1700000000000-w000-000001.seg",
                                       contents: Data(SegmentHeader.encode(createdAtMilliseconds: 1) + bytes))
        let journal = try Self.open(data)
        #expect(journal.recovery.corruptRegionsSkipped == 1)
        #expect(journal.recovery.tornTailsRepaired == 0)
        #expect(journal.recovery.notes.contains { $0.contains("corrupt bytes") })
        journal.close()
        #expect(Self.storedIDs(data) == ["a", "c"])
    }

    @Test("A zero-length segment is removed; recovery is not fatal")
    func zeroLength() throws {
        let (data, _) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("a")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let empty = data + "/journal/1700000000001-w001-000001.seg"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let journal = try Self.open(data)
        #expect(journal.recovery.emptySegmentsRemoved == 1)
        #expect(!FileManager.default.fileExists(atPath: empty))
        journal.close()
        #expect(Self.storedIDs(data) == ["a"])
    }

    @Test("Recovered ids are deduplicated: a redelivery after restart is not stored again")
    func dedupeRebuilt() throws {
        let (data, _) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("recovered-id")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let journal = try Self.open(data)
        #expect(journal.recovery.dedupeEntriesRestored == 1)
        let key = Array("recovered-id".utf8).withUnsafeBytes { EventKey($0) }
        guard case .duplicate(let ticket) = journal.dedupe.claim(key, ticket: DurabilityTicket(worker: 0, sequence: 1), now: Int64(Date().timeIntervalSince1970)) else {
            Issue.record("the recovered id was not known")
            return
        }
        #expect(journal.state(of: ticket) == .durable)
        journal.close()
    }

    @Test("Sealed segments are compressed and still read back, in storage order")
    func compression() throws {
        let (data, path) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("a"), JournalTestData.record("b")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let journal = try Self.open(data)
        journal.close()  // finishes pending compression
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(FileManager.default.fileExists(atPath: path + ".gz"))
        #expect(Self.storedIDs(data) == ["a", "b"])
        let stats = JournalCatalog(dataDirectory: data).stats()
        #expect(stats.compressedSegments == 1)
        #expect(stats.records == 2)
    }

    /// Opens the journal on another thread and waits for it with a deadline, so that a start that
    /// blocks fails the test instead of hanging it.
    static func openWithin(_ seconds: Double, _ data: String) throws -> Journal {
        let result = Mutex<Result<Journal, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            result.withLock { $0 = Result { try Self.open(data) } }
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + seconds) == .success, "the journal did not open within \(seconds) s")
        return try #require(result.withLock { $0 }).get()
    }

    @Test("Receive times of Int64.min and Int64.max are recovered, restored to the dedupe index sensibly, and summarised")
    func extremeReceiveTimes() throws {
        let (data, _) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("oldest", at: .min), JournalTestData.record("newest", at: .max), JournalTestData.record("now")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let journal = try Self.open(data)
        #expect(journal.recovery.records == 3)
        // Int64.min is older than any window; a time in the future counts as now.
        #expect(journal.recovery.dedupeEntriesRestored == 2)
        let key = Array("newest".utf8).withUnsafeBytes { EventKey($0) }
        #expect(journal.dedupe.claim(key, ticket: DurabilityTicket(worker: 0, sequence: 1), now: UnixTime.now()) != .new)
        journal.close()
        let stats = JournalCatalog(dataDirectory: data).stats()
        #expect(stats.records == 3 && stats.oldestMilliseconds == .min && stats.newestMilliseconds == .max)
        #expect(Self.storedIDs(data) == ["oldest", "newest", "now"])
    }

    @Test("A crafted segment of overlapping record candidates recovers quickly, keeping the records around them")
    func overlappingCandidates() throws {
        let size = 2 << 20
        let after = JournalTestData.record("after")
        let garbage = SegmentScannerTests.overlappingCandidates(count: size / 12, stride: 12, end: size)
        let (data, _) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("before")], then: garbage + after.encoded())
        defer { try? FileManager.default.removeItem(atPath: data) }
        let started = ContinuousClock.now
        let journal = try Self.open(data)
        #expect(journal.recovery.records == 2)
        #expect(journal.recovery.corruptRegionsSkipped == 1)
        #expect(journal.recovery.tornTailsRepaired == 0)
        // Generous: trying every candidate's span would take minutes.
        #expect(ContinuousClock.now - started < .seconds(60))
        journal.close()
        #expect(Self.storedIDs(data) == ["before", "after"])
    }

    @Test("A compressed segment that inflates past the largest segment is left in place, not read; the server starts")
    func compressionBomb() throws {
        let (data, _) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("kept")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let limit = WorkerJournal.Settings.largestSegmentBytes(segmentMaxBytes: WorkerJournal.Settings().segmentMaxBytes)
        let bomb = data + "/journal/1700000000001-w001-000001.seg.gz"
        try JournalTestData.gzipBomb(at: bomb, header: SegmentHeader.encode(createdAtMilliseconds: 1), count: limit + (1 << 20))
        let journal = try Self.open(data)
        #expect(journal.recovery.segmentsNotRead == 1)
        #expect(journal.recovery.notes.contains("1700000000001-w001-000001.seg.gz inflates past \(limit) bytes; left in place, not read"))
        #expect(journal.recovery.records == 1)
        journal.close()
        #expect(FileManager.default.fileExists(atPath: bomb))
        #expect(Self.storedIDs(data) == ["kept"])
        let stats = JournalCatalog(dataDirectory: data).stats()
        #expect(stats.segmentsNotRead == 1 && stats.records == 1)
    }

    @Test("A damaged compressed segment yields the records before the damage")
    func damagedCompressedSegment() throws {
        var generator = SegmentScannerTests.SplitMix(state: 3)
        let records = (0..<400).map { index in
            JournalTestData.record("r\(index)", at: 1_700_000_000_000 + Int64(index))
        }.map { record in
            var record = record
            record.body += (0..<200).map { _ in UInt8.random(in: 0x61...0x7A, using: &generator) }
            return record
        }
        let (data, path) = try JournalTestData.dataDirectory(segment: records)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let compressed = try gzipped(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        try FileManager.default.removeItem(atPath: path)
        _ = FileManager.default.createFile(atPath: path + ".gz", contents: Data(compressed.prefix(compressed.count / 2)))
        let journal = try Self.open(data)
        #expect(journal.recovery.records > 50 && journal.recovery.records < 400)
        #expect(journal.recovery.notes.contains { $0.contains("compressed data is damaged after") })
        journal.close()
        #expect(Self.storedIDs(data) == (0..<journal.recovery.records).map { "r\($0)" })
    }

    @Test("FIFOs and symlinks named like segments or repairs.log neither block nor redirect the start")
    func hostileFiles() throws {
        let (data, _) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("kept")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (elsewhere, elsewherePath) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("elsewhere")], then: [1, 2, 3])
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let journalDirectory = data + "/journal/"
        #expect(mkfifo(journalDirectory + "1700000000001-w001-000001.seg", 0o600) == 0)
        #expect(mkfifo(journalDirectory + "1700000000001-w002-000001.seg.gz", 0o600) == 0)
        #expect(symlink(elsewherePath, journalDirectory + "1700000000001-w003-000001.seg") == 0)
        #expect(mkfifo(journalDirectory + "repairs.log", 0o600) == 0)
        let journal = try Self.openWithin(30, data)
        #expect(journal.recovery.segmentsNotRead == 3)
        #expect(journal.recovery.records == 1)
        journal.close()
        // The symlink's target keeps its torn tail: recovery never truncates through a link.
        #expect((try FileManager.default.attributesOfItem(atPath: elsewherePath)[.size] as? Int) == SegmentHeader.bytes + JournalTestData.record("elsewhere").encoded().count + 3)
        #expect(JournalCatalog(dataDirectory: data).stats().segmentsNotRead == 3)
    }

    @Test("A plain segment larger than any the server writes is left in place, not read")
    func oversizedPlainSegment() throws {
        let (data, _) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("kept")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let limit = WorkerJournal.Settings.largestSegmentBytes(segmentMaxBytes: WorkerJournal.Settings().segmentMaxBytes)
        let huge = data + "/journal/1700000000001-w001-000001.seg"
        _ = FileManager.default.createFile(atPath: huge, contents: Data(SegmentHeader.encode(createdAtMilliseconds: 1)))
        #expect(truncate(huge, off_t(limit + 1)) == 0)  // sparse: no disk, no memory
        let journal = try Self.open(data)
        #expect(journal.recovery.segmentsNotRead == 1)
        #expect(journal.recovery.notes.contains("1700000000001-w001-000001.seg is larger than \(limit) bytes; left in place, not read"))
        journal.close()
        #expect(FileManager.default.fileExists(atPath: huge))
        #expect(Self.storedIDs(data) == ["kept"])
    }

    @Test("journal stats counts repaired torn tails from repairs.log, not failed repairs, whatever its line lengths")
    func repairsLogCount() throws {
        let (data, _) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("a")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let log = """
            2026-01-01T00:00:00.000Z x.seg: torn tail of 5 bytes truncated at offset 100
            2026-01-01T00:00:00.000Z y.seg: torn tail of 5 bytes could not be truncated: ftruncate failed: Read-only file system
            \(String(repeating: "z", count: 3 << 20)) torn tail of 1 bytes truncated at offset 1
            2026-01-01T00:00:00.000Z w.seg: torn tail of 7 bytes truncated at offset 16

            """
        _ = FileManager.default.createFile(atPath: data + "/journal/repairs.log", contents: Data(log.utf8))
        #expect(JournalCatalog(dataDirectory: data).stats().tornTailsRepaired == 2)
    }

    @Test("A preallocated segment's zeros are no torn tail, and only its records are compressed")
    func zeroTail() throws {
        let records = [JournalTestData.record("a"), JournalTestData.record("b")]
        let (data, path) = try JournalTestData.dataDirectory(segment: records, then: [UInt8](repeating: 0, count: 1 << 20))
        defer { try? FileManager.default.removeItem(atPath: data) }
        let journal = try Self.open(data)
        #expect(journal.recovery.records == 2)
        #expect(journal.recovery.tornTailsRepaired == 0 && journal.recovery.corruptRegionsSkipped == 0)
        #expect(journal.recovery.notes.isEmpty)
        journal.close()
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try Self.inflatedCount(path + ".gz") == SegmentHeader.bytes + records.reduce(0) { $0 + $1.encoded().count })
        #expect(Self.storedIDs(data) == ["a", "b"])
    }

    @Test("A torn record followed by zeros is a torn tail: truncated at the last whole record")
    func tornRecordBeforeZeros() throws {
        let torn = Array(JournalTestData.record("b").encoded().prefix(20)) + [UInt8](repeating: 0, count: 4096)
        let (data, path) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("a")], then: torn)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let journal = try Self.open(data)
        #expect(journal.recovery.tornTailsRepaired == 1)
        #expect(journal.recovery.tornBytesRemoved == torn.count)
        journal.close()
        #expect(try Self.inflatedCount(path + ".gz") == SegmentHeader.bytes + JournalTestData.record("a").encoded().count)
        #expect(Self.storedIDs(data) == ["a"])
    }

    @Test("A prepared segment never written to is removed, as is one left under its prepared name")
    func unusedPreparedSegments() throws {
        let (data, path) = try JournalTestData.dataDirectory(segment: [], then: [UInt8](repeating: 0, count: 1 << 16))
        defer { try? FileManager.default.removeItem(atPath: data) }
        let prepared = data + "/journal/1700000000001-w001-000002.seg.prepared"
        _ = FileManager.default.createFile(atPath: prepared, contents: Data(SegmentHeader.encode(createdAtMilliseconds: 1) + [0, 0, 0]))
        let journal = try Self.open(data)
        #expect(journal.recovery.emptySegmentsRemoved == 1)
        #expect(journal.recovery.segments == 0 && journal.recovery.notes.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: prepared))
        journal.close()
        #expect(Self.storedIDs(data).isEmpty)
    }
}
