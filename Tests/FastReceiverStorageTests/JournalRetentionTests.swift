import FastReceiverSystem
import FastReceiverTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

@testable import FastReceiverStorage

/// Retention deletes only sealed segments, only forwarded ones when forwarding is on, and only
/// what its age or the cap calls for; the cap marks storage full until there is room again.
@Suite struct JournalRetentionTests {
    /// A journal directory with `count` sealed segments per worker plus each worker's live one,
    /// each file's last write set `ageSeconds` in the past (the live ones too).
    final class Directory {
        let path = NSTemporaryDirectory() + "fast-receiver-retention-\(UUID().uuidString)"
        private(set) var names: [SegmentName] = []

        init(workers: Int = 2, sealed: Int = 3, ageSeconds: Int = 3600) throws {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for worker in 0..<workers {
                for sequence in 1...(sealed + 1) {
                    let name = SegmentName(createdAtMilliseconds: 1_700_000_000_000 + Int64(sequence * 1000), worker: worker, sequence: sequence,
                                           isCompressed: sequence <= sealed)
                    let bytes = SegmentHeader.encode(createdAtMilliseconds: name.createdAtMilliseconds) + [UInt8](repeating: 7, count: 20_000)
                    let file = path + "/" + name.description
                    _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
                    var times = [timespec(tv_sec: time(nil) - ageSeconds, tv_nsec: 0), timespec(tv_sec: time(nil) - ageSeconds, tv_nsec: 0)]
                    utimensat(AT_FDCWD, file, &times, 0)
                    names.append(name)
                }
            }
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }

        var present: Set<String> { Set(SegmentName.list(in: path).map(\.baseName)) }
        var live: Set<String> { Set(JournalCatalog.liveSegments(among: names).map(\.baseName)) }
    }

    static let now = UnixTime.nowMilliseconds()

    @Test("With forwarding, a sealed segment goes once it is forwarded whole and older than the retention; never a live one")
    func forwardedAndOld() throws {
        let directory = try Directory()
        let forwarded = Set(directory.names.filter { $0.worker == 0 || $0.sequence == 1 }.map(\.baseName))
        let retention = JournalRetention(directory: directory.path, policy: .init(maxAgeMilliseconds: 600_000), health: StorageHealth(),
                                         isForwarded: { forwarded.contains($0.baseName) })
        let deleted = Set(retention.enforce(nowMilliseconds: Self.now).map(\.baseName))
        let expected = forwarded.subtracting(directory.live)
        #expect(deleted == expected)
        #expect(directory.present == Set(directory.names.map(\.baseName)).subtracting(expected))
        #expect(retention.deletedSegments == Int64(expected.count))
        // Younger than the retention: nothing goes.
        let young = try Directory(ageSeconds: 10)
        let keeper = JournalRetention(directory: young.path, policy: .init(maxAgeMilliseconds: 600_000), health: StorageHealth(),
                                      isForwarded: { _ in true })
        #expect(keeper.enforce(nowMilliseconds: Self.now).isEmpty)
    }

    @Test("A segment retention deletes while it is being compressed stays deleted: no .seg.gz brings it back")
    func deletedWhileCompressing() throws {
        let path = NSTemporaryDirectory() + "fast-receiver-retention-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Worker 0's sealed segments 1 and 2 and its live segment 3, all an hour old.
        var files: [String] = []
        for sequence in 1...3 {
            let name = SegmentName(createdAtMilliseconds: 1_700_000_000_000 + Int64(sequence * 1000), worker: 0, sequence: sequence, isCompressed: false)
            let bytes = SegmentHeader.encode(createdAtMilliseconds: name.createdAtMilliseconds) + [UInt8](repeating: 7, count: 300_000)
            let file = path + "/" + name.description
            _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
            var times = [timespec(tv_sec: time(nil) - 3600, tv_nsec: 0), timespec(tv_sec: time(nil) - 3600, tv_nsec: 0)]
            utimensat(AT_FDCWD, file, &times, 0)
            files.append(file)
        }
        let leftovers = { (file: String) in [file, file + ".gz", file + ".gz.tmp"].filter { FileManager.default.fileExists(atPath: $0) } }
        // Undisturbed, compression replaces the plain segment by its copy.
        #expect(SegmentCompressor.compress(files[1], validBytes: 300_000))
        #expect(leftovers(files[1]) == [files[1] + ".gz"])
        // Retention deletes segment 1 just as its copy became durable (segment 2's copy, written
        // just now, is younger than the retention).
        let retention = JournalRetention(directory: path, policy: .init(maxAgeMilliseconds: 600_000), health: StorageHealth(), isForwarded: nil)
        var deleted: [SegmentName] = []
        let replaced = SegmentCompressor.compress(files[0], validBytes: 300_000) {
            deleted = retention.enforce(nowMilliseconds: Self.now)
        }
        #expect(deleted.map(\.sequence) == [1])
        #expect(!replaced)
        #expect(leftovers(files[0]).isEmpty)
        #expect(leftovers(files[1]) == [files[1] + ".gz"])
        #expect(leftovers(files[2]) == [files[2]])  // the live segment stays
    }

    @Test("Without forwarding nothing is deleted unless a retention is given; then old sealed segments go")
    func withoutForwarding() throws {
        let directory = try Directory()
        let none = JournalRetention(directory: directory.path, policy: .init(), health: StorageHealth(), isForwarded: nil)
        #expect(none.enforce(nowMilliseconds: Self.now).isEmpty)
        #expect(directory.present.count == directory.names.count)
        let explicit = JournalRetention(directory: directory.path, policy: .init(maxAgeMilliseconds: 600_000), health: StorageHealth(), isForwarded: nil)
        #expect(Set(explicit.enforce(nowMilliseconds: Self.now).map(\.baseName)) == Set(directory.names.map(\.baseName)).subtracting(directory.live))
        #expect(directory.present == directory.live)
    }

    @Test("At the cap storage is full; forwarded segments are deleted oldest first until it is not, unforwarded ones never")
    func cap() throws {
        let directory = try Directory(ageSeconds: 10)
        let health = StorageHealth()
        let total = JournalRetention.bytesOnDisk(directory.path)
        let forwarded = Mutex<Set<String>>([])
        let cap = total - 30_000
        let retention = JournalRetention(directory: directory.path, policy: .init(maxAgeMilliseconds: 600_000, maxBytes: cap), health: health,
                                         isForwarded: { name in forwarded.withLock { $0.contains(name.baseName) } })
        #expect(retention.enforce(nowMilliseconds: Self.now).isEmpty)
        #expect(health.isFull)
        #expect(health.isFailed)
        #expect(retention.journalBytes == total)
        // Everything sealed is forwarded now: only as much goes as makes room, oldest first.
        forwarded.withLock { $0 = Set(directory.names.map(\.baseName)).subtracting(directory.live) }
        let deleted = retention.enforce(nowMilliseconds: Self.now)
        #expect(deleted.map { $0.sequence } == [1, 1])
        #expect(!health.isFull)
        #expect(!health.isFailed)
        #expect(retention.journalBytes < cap)
        // Without forwarding the cap deletes nothing: storage stays full.
        let unforwarded = try Directory(ageSeconds: 10)
        let stuck = StorageHealth()
        let capOnly = JournalRetention(directory: unforwarded.path, policy: .init(maxBytes: 1000), health: stuck, isForwarded: nil)
        #expect(capOnly.enforce(nowMilliseconds: Self.now).isEmpty)
        #expect(stuck.isFull)
    }
}
