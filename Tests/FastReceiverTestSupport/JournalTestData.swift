public import FastReceiverStorage
public import Foundation
internal import Testing

/// Journals written byte by byte, for tests that read, recover or print them.
public enum JournalTestData {
    /// A record of `id`, received at `milliseconds`, whose body is the smallest event with that id.
    public static func record(_ id: String, at milliseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) -> JournalRecord {
        JournalRecord(receivedAtMilliseconds: milliseconds, eventID: Array(id.utf8), body: Array(#"{"event":{"eventId":"\#(id)"}}"#.utf8))
    }

    /// A data directory holding one segment with the given bytes after its header.
    public static func dataDirectory(segment records: [JournalRecord], then extra: [UInt8] = [], name: String = "1700000000000-w000-000001.seg") throws -> (String, String) {
        let data = NSTemporaryDirectory() + "fast-receiver-recovery-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: data + "/journal", withIntermediateDirectories: true)
        let path = data + "/journal/" + name
        let bytes = SegmentHeader.encode(createdAtMilliseconds: 1_700_000_000_000) + records.flatMap { $0.encoded() } + extra
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return (data, path)
    }

    /// A gzip file of `header` followed by zeros up to `count` bytes, made by the system's gzip
    /// without holding the bytes in memory.
    public static func gzipBomb(at path: String, header: [UInt8], count: Int) throws {
        let headerPath = path + ".header"
        _ = FileManager.default.createFile(atPath: headerPath, contents: Data(header))
        defer { try? FileManager.default.removeItem(atPath: headerPath) }
        let shell = try ChildProcess(executable: "/bin/sh",
                                     arguments: ["-c", "cat \"$0\" /dev/zero | head -c \(count) | gzip -1 > \"$1\"", headerPath, path])
        #expect(shell.waitForExit(timeout: 300) == 0)
    }
}
