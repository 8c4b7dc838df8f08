/// Walks the records of a segment's bytes in storage order: the one reading of segments that
/// recovery, `journal cat` (with or without `--follow`) and `journal stats` share.
///
/// After a record that is corrupt (or, in a sealed segment, cut short), the walk resumes at the
/// first later offset that holds a valid record, and reports the bytes it skipped; corruption
/// with no valid record after it ends the walk (a torn tail). Finding that record takes time
/// linear in the segment's size whatever it holds (`RecordFinder`), so any segment, crafted or
/// torn, is read in one or two passes.
///
/// A preallocated segment holds zeros after its last record: unwritten space. Where a record
/// would start, zeros that run to the end of a sealed segment end the walk cleanly (they are not
/// a torn tail); zeros followed by anything else are corrupt like any other bytes.
///
/// A live segment (one the server may still be appending to) is read the same way, except that
/// an incomplete record is not corruption but possibly a write in progress: the walk stops
/// before it, and reading again once more bytes have arrived continues from there. In a live
/// segment a zero where the next record's magic would be ends the walk whatever follows: the
/// server has not written there yet, or is writing there now (a reader racing an in-place write
/// may see later bytes of it before earlier ones).
public struct SegmentScanner {
    /// What the walk met.
    public enum Item: Equatable, Sendable {
        /// A valid record; `payload` is its payload's range in the bytes.
        case record(payload: Range<Int>)
        /// Bytes that are not a valid record, followed by one.
        case skipped(offset: Int, length: Int)
    }

    public let bytes: UnsafeRawBufferPointer
    public let maxPayload: Int
    public let isLive: Bool
    /// Where the walk stands. Once `next()` has returned nil: where the bytes that are not whole
    /// records start (`bytes.count` when there are none).
    public private(set) var offset: Int
    /// Once `next()` has returned nil on a live segment: the size its bytes must reach before
    /// reading again can get further, when the walk waits for a particular record to complete;
    /// nil when any new byte may help.
    public private(set) var awaitedCount: Int?
    /// Once `next()` has returned nil: whether the walk stopped at unwritten space (zeros where
    /// the next record would start; see the type's description).
    public private(set) var isAtUnwrittenSpace = false
    private var finder: RecordFinder?

    /// - Parameters:
    ///   - bytes: the segment's bytes (or its end, starting at a record boundary).
    ///   - offset: where the first record starts (after the segment header).
    ///   - maxPayload: the largest payload a valid record may have.
    ///   - isLive: whether more bytes may still be appended (see the type's description).
    public init(_ bytes: UnsafeRawBufferPointer, from offset: Int, maxPayload: Int = JournalRecord.maxPayloadBytes, isLive: Bool = false) {
        self.bytes = bytes
        self.maxPayload = maxPayload
        self.isLive = isLive
        self.offset = min(max(offset, 0), bytes.count)
    }

    /// Bytes after the last record that are not a record: a torn tail, or in a live segment the
    /// bytes not read yet; 0 when the walk stopped at unwritten space. Meaningful once `next()`
    /// has returned nil.
    public var tailBytes: Int { isAtUnwrittenSpace ? 0 : bytes.count - offset }

    /// The next record or skipped region; nil at the end of what can be read.
    public mutating func next() -> Item? {
        guard offset < bytes.count else { return nil }
        switch JournalRecord.scan(bytes, at: offset, maxPayload: maxPayload) {
        case .record(let payload, let next):
            offset = next
            return .record(payload: payload)
        case _ where isLive ? Self.isZero(bytes, from: offset, count: 4) : Self.isZero(bytes, from: offset):
            isAtUnwrittenSpace = true
            awaitedCount = nil
            return nil
        case .truncated where isLive:
            awaitedCount = offset + JournalRecord.headerBytes + Self.claimedLength(bytes, at: offset)
            return nil
        case .truncated, .corrupt:
            var finder = self.finder ?? RecordFinder(bytes, from: offset, maxPayload: maxPayload)
            let found = finder.firstRecord(after: offset, stopsAtIncomplete: isLive)
            self.finder = finder
            switch found {
            case .record(let start):
                let skipped = Item.skipped(offset: offset, length: start - offset)
                offset = start
                return skipped
            case .incomplete(_, let end):
                awaitedCount = end
                return nil
            case .none:
                awaitedCount = nil
                return nil
            }
        }
    }

    /// Whether the `count` bytes from `offset` (all of them to the end by default, fewer if
    /// there are not that many) are zero. Time linear in the bytes up to the first that is not.
    static func isZero(_ bytes: UnsafeRawBufferPointer, from offset: Int, count: Int = .max) -> Bool {
        let end = offset + min(count, bytes.count - offset)
        var index = offset
        while end - index >= 8 {
            guard bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) == 0 else { return false }
            index += 8
        }
        while index < end {
            guard bytes[index] == 0 else { return false }
            index += 1
        }
        return true
    }

    /// The payload length an incomplete record claims, or 0 while its header is not all there
    /// (only a whole header's length has been checked against `maxPayload`).
    private static func claimedLength(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        guard bytes.count - offset >= JournalRecord.headerBytes else { return 0 }
        return Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)))
    }
}
