import CZlib
import Foundation

/// Reads whole segments, plain or gzip-compressed, for recovery, `journal cat` and `journal stats`.
enum SegmentReader {
    /// The segment's bytes (decompressed), or nil when it cannot be read.
    static func contents(of path: String, compressed: Bool) -> [UInt8]? {
        guard compressed else { return FileManager.default.contents(atPath: path).map { Array($0) } }
        guard let file = fr_gzopen(path, "rb") else { return nil }
        defer { _ = fr_gzclose(file) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { fr_gzread(file, $0.baseAddress, UInt32($0.count)) }
            if count < 0 { return nil }
            if count == 0 { return output }
            output += chunk[..<Int(count)]
        }
    }

    /// What a scan of one segment found.
    struct Scan {
        /// Valid records' payload ranges, in order.
        var payloads: [Range<Int>] = []
        /// Where the valid data ends (the length a torn tail is truncated to).
        var validEnd = 0
        /// Bytes after the last valid record that are not a record (a torn tail).
        var tornTailBytes = 0
        /// Corrupt regions in the middle that were skipped, as (offset, length).
        var corruptRegions: [(offset: Int, length: Int)] = []
        var hasHeader = false
    }

    /// Walks every record of a segment's bytes. A corrupt record is skipped by searching for the
    /// next valid record; corruption with no valid record after it is a torn tail.
    static func scan(_ bytes: UnsafeRawBufferPointer, maxPayload: Int) -> Scan {
        var result = Scan()
        guard SegmentHeader.isValid(bytes) else {
            result.tornTailBytes = bytes.count
            return result
        }
        result.hasHeader = true
        var offset = SegmentHeader.bytes
        result.validEnd = offset
        while offset < bytes.count {
            switch JournalRecord.scan(bytes, at: offset, maxPayload: maxPayload) {
            case .record(let payload, let next):
                result.payloads.append(payload)
                offset = next
                result.validEnd = next
            case .truncated, .corrupt:
                guard let resume = nextRecord(in: bytes, after: offset, maxPayload: maxPayload) else {
                    result.tornTailBytes = bytes.count - offset
                    return result
                }
                result.corruptRegions.append((offset, resume - offset))
                offset = resume
            }
        }
        return result
    }

    private static func nextRecord(in bytes: UnsafeRawBufferPointer, after offset: Int, maxPayload: Int) -> Int? {
        var candidate = offset + 1
        while candidate + JournalRecord.headerBytes <= bytes.count {
            if bytes[candidate] == 0x46, case .record = JournalRecord.scan(bytes, at: candidate, maxPayload: maxPayload) {
                return candidate
            }
            candidate += 1
        }
        return nil
    }
}
