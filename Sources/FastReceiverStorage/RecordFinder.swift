internal import FastReceiverCompression
internal import Glibc

/// Finds the next valid record after a corrupt one, in time linear in the segment's size
/// whatever its content.
///
/// Checking every later offset with `JournalRecord.scan` reads each candidate's whole claimed
/// span, and crafted bytes can hold a candidate (magic and a plausible length) every 8 bytes,
/// each claiming a span to the end of the file: quadratic. Instead, CRCs of spans come from
/// prefix CRCs (`CRC32.shifted`): one pass stores the prefix CRC every `stride` bytes, the prefix
/// CRC at each candidate's payload start is carried forward from the previous candidate's, and
/// the one at its payload end is computed from the nearest stored one. Each candidate then costs
/// O(`stride`) whatever its length, and each offset is a candidate at most once per segment.
struct RecordFinder {
    /// What lies after a corrupt record.
    enum Found: Equatable {
        /// The first valid record starts here.
        case record(at: Int)
        /// A candidate that runs past the end of the data comes first; it may still become a
        /// valid record while its segment is being written (only when asked to stop there).
        case incomplete(at: Int, end: Int)
        /// No valid record follows.
        case none
    }

    private let bytes: UnsafeRawBufferPointer
    private let maxPayload: Int
    /// The offset the prefix CRCs start from.
    private let base: Int
    /// Bytes between stored prefix CRCs: they take 4 bytes per 64 bytes searched (4 MiB for a
    /// 64 MiB segment), and a candidate's end is at most 63 bytes past one.
    private static let stride = 64
    /// `checkpoints[j]` is the CRC-32 of `bytes[base ..< base + j·stride]`.
    private let checkpoints: [UInt32]
    /// The prefix CRC at the last candidate's payload start (candidates come in offset order).
    private var cursor: (offset: Int, crc: UInt32)
    /// Candidates gathered to be checked together.
    private var batch: [(candidate: Int, payload: Range<Int>)] = []
    private static let batchSize = 32
    /// Where the memory touched ahead of the checks goes, so that the loads are kept.
    private var touched: UInt32 = 0

    /// Makes the one CRC pass over `bytes[base...]`.
    /// - Parameters:
    ///   - bytes: the segment's bytes.
    ///   - base: no search will start before this offset (the first corrupt record).
    ///   - maxPayload: the largest payload a valid record may have.
    init(_ bytes: UnsafeRawBufferPointer, from base: Int, maxPayload: Int) {
        self.bytes = bytes
        self.maxPayload = maxPayload
        self.base = base
        cursor = (base, 0)
        batch.reserveCapacity(Self.batchSize)
        let stride = Self.stride
        var checkpoints = [UInt32(0)]
        checkpoints.reserveCapacity((bytes.count - base) / stride + 1)
        var crc: UInt32 = 0
        var position = base
        while bytes.count - position >= stride {
            crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[position..<(position + stride)]), continuing: crc)
            checkpoints.append(crc)
            position += stride
        }
        self.checkpoints = checkpoints
    }

    /// The first offset after `offset` where `JournalRecord.scan` finds a valid record.
    /// - Parameters:
    ///   - offset: at least the `base` given at creation, and past any record found before.
    ///   - stopsAtIncomplete: stop at the first candidate whose claimed span runs past the end
    ///     (for a segment still being written, whose later bytes may complete it).
    mutating func firstRecord(after offset: Int, stopsAtIncomplete: Bool) -> Found {
        precondition(offset >= cursor.offset - JournalRecord.headerBytes, "searches move forward")
        guard let start = bytes.baseAddress else { return .none }
        var next = offset + 1
        var incomplete: Found?
        while incomplete == nil {
            // Gather a few candidates, touch the memory their checks will read (their ends lie
            // anywhere), then check them in order: the cache misses overlap instead of queueing.
            batch.removeAll(keepingCapacity: true)
            while batch.count < Self.batchSize, bytes.count - next >= 8 {
                // A candidate starts with the magic's first byte, "F", and needs its magic and
                // length to be judged.
                guard let found = memchr(start + next, 0x46, bytes.count - 8 - next + 1) else {
                    next = bytes.count
                    break
                }
                let candidate = start.distance(to: UnsafeRawPointer(found))
                next = candidate + 1
                guard bytes.loadUnaligned(fromByteOffset: candidate, as: UInt32.self) == JournalRecord.magic.littleEndian else { continue }
                let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: candidate + 4, as: UInt32.self)))
                guard length >= JournalRecord.payloadPrefixBytes, length <= maxPayload else { continue }
                let payloadStart = candidate + JournalRecord.headerBytes
                guard bytes.count - payloadStart >= length else {
                    if stopsAtIncomplete {
                        incomplete = .incomplete(at: candidate, end: payloadStart + length)
                        break
                    }
                    continue
                }
                batch.append((candidate, payloadStart..<(payloadStart + length)))
            }
            guard !batch.isEmpty else { break }
            for (_, payload) in batch {
                let index = (payload.upperBound - base) / Self.stride
                let last = payload.upperBound - 1
                touched ^= checkpoints[index] ^ UInt32(bytes[min(base + index * Self.stride, last)]) ^ UInt32(bytes[last])
            }
            for (candidate, payload) in batch where isValid(at: candidate, payload: payload) {
                return .record(at: candidate)
            }
        }
        return incomplete ?? .none
    }

    /// Whether the candidate's CRC and id length check out, as `JournalRecord.scan` checks them.
    private mutating func isValid(at candidate: Int, payload: Range<Int>) -> Bool {
        let idCount = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: payload.lowerBound + 8, as: UInt16.self)))
        guard JournalRecord.payloadPrefixBytes + idCount <= payload.count else { return false }
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: candidate + 8, as: UInt32.self))
        let lengthCRC = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[(candidate + 4)..<(candidate + 8)]))
        cursor = (payload.lowerBound, CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[cursor.offset..<payload.lowerBound]), continuing: cursor.crc))
        // crc(length ‖ payload) = shifted(crc(length), |payload|) ^ crc(payload), and
        // crc(payload) = P(end) ^ shifted(P(start), |payload|).
        let crc = prefixCRC(at: payload.upperBound) ^ CRC32.shifted(lengthCRC ^ cursor.crc, byBytes: payload.count)
        return crc == stored
    }

    /// The CRC-32 of `bytes[base..<position]`, from the nearest stored one.
    private func prefixCRC(at position: Int) -> UInt32 {
        let index = (position - base) / Self.stride
        let from = base + index * Self.stride
        return CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[from..<position]), continuing: checkpoints[index])
    }
}
