import Foundation
import Glibc
import Synchronization
import Testing

@testable import FastReceiverStorage
@testable import FastReceiverSystem

/// One worker journal on real files: segments prepared ahead of use, records written into them
/// in place, rotation into the prepared successor, and the fallback when nothing can be prepared.
@Suite(.serialized) struct WorkerJournalTests {
    /// A data directory of its own, removed when the value goes.
    final class Directory {
        let data = NSTemporaryDirectory() + "fast-receiver-worker-journal-\(UUID().uuidString)"
        /// The journal directory.
        var path: String { data + "/journal" }
        var catalog: JournalCatalog { JournalCatalog(dataDirectory: data) }
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: data) }

        /// File names in the directory, sorted.
        var files: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
        /// Plain segment file names, in storage order.
        var segments: [String] { SegmentName.list(in: path).filter { !$0.isCompressed }.map(\.description) }

        func size(_ name: String) -> Int? {
            (try? FileManager.default.attributesOfItem(atPath: path + "/" + name)[.size] as? Int) ?? nil
        }
    }

    static func settings(segmentBytes: Int, durability: Durability = .fsync) -> WorkerJournal.Settings {
        var settings = WorkerJournal.Settings()
        settings.segmentMaxBytes = segmentBytes
        settings.durability = durability
        return settings
    }

    static func journal(in directory: Directory, settings: WorkerJournal.Settings, io: any JournalFileIO = PosixFileIO(),
                        preparer: SegmentPreparer?) throws -> WorkerJournal {
        try WorkerJournal(worker: 0, directory: directory.path, io: io, settings: settings, health: StorageHealth(), dedupe: nil,
                          preparer: preparer, compressor: nil, firstSegmentSequence: 0, onResolved: {})
    }

    /// Waits until `condition` holds, up to a deadline only a hang would miss.
    static func wait(until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while !condition() {
            guard Date() < deadline else { return false }
            usleep(1000)
        }
        return true
    }

    /// The body stored for `id`: an event of about 650 bytes.
    static func body(_ id: String) -> [UInt8] {
        Array(#"{"event":{"eventId":"\#(id)"},"pad":""#.utf8) + [UInt8](repeating: 0x78, count: 600) + Array(#""}"#.utf8)
    }

    /// The bytes the record of `id` takes in a segment.
    static func recordBytes(_ id: String) -> Int {
        JournalRecord.encodedCount(eventIDCount: id.utf8.count, bodyCount: body(id).count)
    }

    /// Appends a record of `id` and waits until it is durable.
    @discardableResult
    static func store(_ id: String, in journal: WorkerJournal) -> WorkerJournal.RecordState {
        let body = body(id)
        let appended = Array(id.utf8).withUnsafeBytes { id in
            body.withUnsafeBytes { body in journal.append(receivedAtMilliseconds: 1_700_000_000_000, eventID: id, body: body, key: nil) }
        }
        guard case .success(let ticket) = appended else { return .failed }
        _ = wait { journal.state(of: ticket.sequence) != .pending }
        return journal.state(of: ticket.sequence)
    }

    /// The ids of every record in the directory's segments, read as sealed, in storage order.
    static func storedIDs(_ directory: Directory) -> [String] {
        var ids: [String] = []
        for name in SegmentName.list(in: directory.path) {
            var progress = JournalCatalog.Progress()
            directory.catalog.read(name, isLive: false, progress: &progress, problem: { problem in
                Issue.record("\(name): \(problem)")
            }) { payload in
                ids.append(String(decoding: payload[JournalRecord.eventID(payload: payload)], as: UTF8.self))
            }
        }
        return ids
    }

    @Test("The first segment is prepared before any record: full size, header, then zeros; records overwrite it in place")
    func firstSegmentPrepared() throws {
        let directory = try Directory()
        let preparer = SegmentPreparer(directory: directory.path, io: PosixFileIO())
        let journal = try Self.journal(in: directory, settings: Self.settings(segmentBytes: 1 << 20), preparer: preparer)
        let name = try #require(directory.segments.first)
        #expect(directory.files == [name])
        #expect(directory.size(name) == 1 << 20)
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + name)))
        #expect(SegmentHeader.isValid(bytes.withUnsafeBytes { $0 }))
        #expect(bytes[SegmentHeader.bytes...].allSatisfy { $0 == 0 })
        for index in 0..<20 { #expect(Self.store("r\(index)", in: journal) == .durable) }
        #expect(directory.size(name) == 1 << 20)
        #expect(Self.storedIDs(directory) == (0..<20).map { "r\($0)" })
        let stats = directory.catalog.stats()
        #expect(stats.plainBytesAllocated == 1 << 20)
        #expect(stats.plainBytesValid == SegmentHeader.bytes + (0..<20).reduce(0) { $0 + Self.recordBytes("r\($1)") })
        #expect(stats.tornTails == 0 && stats.corruptRegions == 0)
        journal.close()
        preparer.close()
        // Closed with records, the segment stays for the next start to seal.
        #expect(directory.segments == [name])
    }

    @Test("With write durability nothing is prepared: the segment grows as it is written")
    func writeDurabilityGrows() throws {
        let directory = try Directory()
        let journal = try Self.journal(in: directory, settings: Self.settings(segmentBytes: 1 << 20, durability: .write), preparer: nil)
        let name = try #require(directory.segments.first)
        #expect(directory.size(name) == SegmentHeader.bytes)
        #expect(Self.store("a", in: journal) == .durable)
        #expect(directory.size(name) == SegmentHeader.bytes + Self.recordBytes("a"))
        journal.close()
    }

    @Test("A full segment is sealed into the successor prepared for it, and every record reads back in order")
    func rotationIntoPreparedSuccessor() throws {
        let directory = try Directory()
        let preparer = SegmentPreparer(directory: directory.path, io: PosixFileIO())
        let segmentBytes = 64 << 10
        let journal = try Self.journal(in: directory, settings: Self.settings(segmentBytes: segmentBytes), preparer: preparer)
        let first = try #require(directory.segments.first)
        // Past an eighth of the segment, its successor is asked for.
        var stored = 0
        while stored * Self.recordBytes("r0") < segmentBytes / 8 + 1000 {
            #expect(Self.store("r\(stored)", in: journal) == .durable)
            stored += 1
        }
        #expect(Self.wait { preparer.hasReady(worker: 0) })
        #expect(directory.files.contains { $0.hasSuffix(".seg.prepared") })
        while directory.segments.count == 1, stored < 1000 {
            #expect(Self.store("r\(stored)", in: journal) == .durable)
            stored += 1
        }
        let segments = directory.segments
        #expect(segments.count == 2)
        #expect(segments.first == first)
        // Both are full-size files: the sealed one keeps its zeros after its records (only they
        // are compressed), the new one was prepared.
        #expect(segments.allSatisfy { directory.size($0) == segmentBytes })
        #expect(!directory.files.contains { $0.hasSuffix(".prepared") })
        #expect(Self.storedIDs(directory) == (0..<stored).map { "r\($0)" })
        journal.close()
        preparer.close()
    }

    @Test("Closing removes a prepared segment that was never used")
    func closeRemovesUnusedPreparedSegment() throws {
        let directory = try Directory()
        let preparer = SegmentPreparer(directory: directory.path, io: PosixFileIO())
        let journal = try Self.journal(in: directory, settings: Self.settings(segmentBytes: 64 << 10), preparer: preparer)
        var stored = 0
        while !preparer.hasReady(worker: 0), stored < 16 {
            Self.store("r\(stored)", in: journal)
            stored += 1
        }
        #expect(Self.wait { preparer.hasReady(worker: 0) })
        journal.close()
        preparer.close()
        #expect(directory.files.count == 1)
        #expect(!directory.files.contains { $0.hasSuffix(".prepared") })
    }

    /// Real files, counting for each descriptor the bytes written since its last fdatasync.
    final class UnsyncedBytesIO: JournalFileIO {
        private let real = PosixFileIO()
        private let unsynced = Mutex<[Int32: Int]>([:])
        /// The most bytes any descriptor had written and not yet synced.
        let mostUnsynced = Atomic<Int>(0)
        let syncs = Atomic<Int>(0)

        func open(_ path: String, create: Bool) -> Int32 { real.open(path, create: create) }
        func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
            let total = unsynced.withLock { counts in
                counts[descriptor, default: 0] += bytes.count
                return counts[descriptor]!
            }
            if total > mostUnsynced.load(ordering: .relaxed) { mostUnsynced.store(total, ordering: .relaxed) }
            return real.write(descriptor, bytes)
        }
        func dataSync(_ descriptor: Int32) -> Int32 {
            unsynced.withLock { $0[descriptor] = 0 }
            syncs.wrappingAdd(1, ordering: .relaxed)
            return real.dataSync(descriptor)
        }
        func syncDirectory(_ path: String) -> Int32 { real.syncDirectory(path) }
        func truncate(_ descriptor: Int32, to length: Int) -> Int32 { real.truncate(descriptor, to: length) }
        func close(_ descriptor: Int32) {
            unsynced.withLock { $0[descriptor] = nil }
            real.close(descriptor)
        }
    }

    @Test("A segment is zero-filled a MiB at a time, each synced before the next, so a group commit never queues behind a whole segment")
    func preparationSyncsAsItGoes() throws {
        let directory = try Directory()
        let io = UnsyncedBytesIO()
        let preparer = SegmentPreparer(directory: directory.path, io: io)
        let segment = try #require(preparer.prepare(SegmentName(createdAtMilliseconds: 1_700_000_000_000, worker: 0, sequence: 1, isCompressed: false),
                                                    bytes: 8 << 20))
        #expect(io.syncs.load(ordering: .relaxed) == 8)
        #expect(io.mostUnsynced.load(ordering: .relaxed) <= 1 << 20)
        #expect(directory.size(segment.name.description + ".prepared") == 8 << 20)
        preparer.discard(segment)
        preparer.close()
    }

    /// Real files, except that zeros cannot be written: a disk too full to prepare a segment.
    final class NoRoomForZerosIO: JournalFileIO {
        private let real = PosixFileIO()
        let refusedZeroFills = Atomic<Int>(0)

        func open(_ path: String, create: Bool) -> Int32 { real.open(path, create: create) }
        func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
            guard bytes.count < 4096 || bytes.contains(where: { $0 != 0 }) else {
                refusedZeroFills.wrappingAdd(1, ordering: .relaxed)
                return ENOSPC
            }
            return real.write(descriptor, bytes)
        }
        func dataSync(_ descriptor: Int32) -> Int32 { real.dataSync(descriptor) }
        func syncDirectory(_ path: String) -> Int32 { real.syncDirectory(path) }
        func truncate(_ descriptor: Int32, to length: Int) -> Int32 { real.truncate(descriptor, to: length) }
        func close(_ descriptor: Int32) { real.close(descriptor) }
    }

    @Test("When no segment can be prepared, the segment grows as it is written and records are still stored")
    func preparationFailureFallsBack() throws {
        let directory = try Directory()
        let io = NoRoomForZerosIO()
        let preparer = SegmentPreparer(directory: directory.path, io: io)
        let journal = try Self.journal(in: directory, settings: Self.settings(segmentBytes: 1 << 20), io: io, preparer: preparer)
        #expect(io.refusedZeroFills.load(ordering: .relaxed) == 1)
        let name = try #require(directory.segments.first)
        #expect(directory.files == [name])
        #expect(directory.size(name) == SegmentHeader.bytes)
        for index in 0..<3 { #expect(Self.store("r\(index)", in: journal) == .durable) }
        #expect(directory.size(name) == SegmentHeader.bytes + (0..<3).reduce(0) { $0 + Self.recordBytes("r\($1)") })
        #expect(Self.storedIDs(directory) == ["r0", "r1", "r2"])
        journal.close()
        preparer.close()
    }
}
