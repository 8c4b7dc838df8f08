import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@testable import FastReceiverStorage

/// `fast-receiver journal cat|stats` as a user runs them, on crafted data directories.
@Suite(.serialized) struct JournalCommandTests {
    static func run(_ arguments: [String], timeout: Double = 60) throws -> (status: Int32?, output: String, error: String) {
        let child = try ChildProcess(arguments: arguments, environment: ShutdownTests.environment())
        let status = child.waitForExit(timeout: timeout)
        return (status, child.standardOutput, child.standardError)
    }

    /// Appends bytes to a file, as the server's worker does.
    static func append(_ bytes: [UInt8], to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
    }

    @Test("journal cat and stats print records with any receive time instead of trapping")
    func extremeTimes() throws {
        let (data, _) = try JournalTestData.dataDirectory(segment: [
            JournalTestData.record("oldest", at: .min), JournalTestData.record("newest", at: .max),
        ])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let cat = try Self.run(["journal", "cat", "--data-dir", data])
        #expect(cat.status == 0)
        let lines = cat.output.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix(#"{"receivedAt":null,"receivedAtMilliseconds":-9223372036854775808,"eventId":"oldest","#) == true)
        let stats = try Self.run(["journal", "stats", "--data-dir", data])
        #expect(stats.status == 0)
        #expect(stats.output.contains("oldest:               -9223372036854775808 ms since 1970"))
        #expect(stats.output.contains("newest:               9223372036854775807 ms since 1970"))
    }

    @Test("journal cat skips a corrupt record, reports it on stderr and prints the records after it")
    func corruptRecord() throws {
        var records = [JournalTestData.record("a"), JournalTestData.record("b"), JournalTestData.record("c")].map { $0.encoded() }
        records[1][30] ^= 0x01
        let (data, _) = try JournalTestData.dataDirectory(segment: [], then: records.flatMap { $0 })
        defer { try? FileManager.default.removeItem(atPath: data) }
        let cat = try Self.run(["journal", "cat", "--data-dir", data])
        #expect(cat.status == 0)
        #expect(cat.output.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .map { $0?["eventId"] as? String } == ["a", "c"])
        #expect(cat.error.contains("fast-receiver: 1700000000000-w000-000001.seg: \(records[1].count) corrupt bytes at offset \(16 + records[0].count) skipped"))
    }

    @Test("journal cat --follow resyncs past a corrupt record in the live segment, reports it, and keeps following")
    func followPastCorruption() throws {
        let (data, path) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("first")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let follower = try ChildProcess(arguments: ["journal", "cat", "--follow", "--data-dir", data], environment: ShutdownTests.environment())
        defer { follower.signal(SIGTERM) }
        func ids() -> [String] {
            follower.standardOutput.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["eventId"] as? String
            }
        }
        #expect(waitUntil { ids() == ["first"] })
        var corrupt = JournalTestData.record("corrupt").encoded()
        corrupt[25] ^= 0x40
        let corruptOffset = SegmentHeader.bytes + JournalTestData.record("first").encoded().count
        try Self.append(corrupt + JournalTestData.record("second").encoded(), to: path)
        #expect(waitUntil { ids() == ["first", "second"] })
        #expect(waitUntil { follower.standardError.contains("\(corrupt.count) corrupt bytes at offset \(corruptOffset) skipped") })
        // A record written in two pieces is printed once it is whole, never skipped.
        let third = JournalTestData.record("third").encoded()
        try Self.append(Array(third.prefix(20)), to: path)
        // Neither printed nor skipped while it is incomplete: an absence, so this lets time pass.
        usleep(600_000)
        #expect(ids() == ["first", "second"])
        try Self.append(Array(third.dropFirst(20)), to: path)
        #expect(waitUntil { ids() == ["first", "second", "third"] })
        #expect(follower.isRunning)
        #expect(follower.standardError.split(separator: "\n").count == 1)
    }

    @Test("journal cat reports a compressed segment that inflates past the largest segment and prints the others")
    func compressionBomb() throws {
        let (data, _) = try JournalTestData.dataDirectory(segment: [JournalTestData.record("kept")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let limit = WorkerJournal.Settings.largestSegmentBytes(segmentMaxBytes: 64 << 10)
        try JournalTestData.gzipBomb(at: data + "/journal/1600000000000-w000-000001.seg.gz",
                                          header: SegmentHeader.encode(createdAtMilliseconds: 1), count: limit + 1)
        let cat = try Self.run(["journal", "cat", "--data-dir", data, "--segment-bytes", "65536"])
        #expect(cat.status == 0)
        #expect(cat.error.contains("1600000000000-w000-000001.seg.gz: inflates past \(limit) bytes; left in place, not read"))
        #expect(cat.output.split(separator: "\n").count == 1)
        let refused = try Self.run(["journal", "stats", "--data-dir", data, "--segment-bytes", "12"])
        #expect(refused.status == 2)
        #expect(refused.error.contains("--segment-bytes must be between"))
    }
}
