internal import FastReceiverCompression

/// The byte layout of one journal record (see docs/journal-format.md):
///
/// ```
/// offset size field
///      0    4 magic        "FRJR" (0x524A5246 little-endian)
///      4    4 length       bytes of payload that follow the header (little-endian)
///      8    4 crc32        zlib CRC-32 of the length field's 4 bytes followed by the payload
///     12    8 receivedAt   Unix time in milliseconds (little-endian, signed)
///     20    2 idLength     bytes of eventId (little-endian)
///     22    n eventId      the event's id, its JSON escapes resolved (may be empty)
///   22+n    m body         the event body exactly as verified
/// ```
///
/// The magic lets recovery find the next record after a corrupt one; the CRC covers the length
/// so that a flipped length is caught, not followed.
public struct JournalRecord: Sendable, Equatable {
    public static let magic: UInt32 = 0x524A_5246  // "FRJR"
    public static let headerBytes = 12
    /// Fixed payload bytes before the event id: receivedAt and idLength.
    public static let payloadPrefixBytes = 10
    /// The longest event id stored; longer ids are stored empty (and not deduplicated).
    public static let maxEventIDBytes = 1024
    /// The largest body the journal stores: the highest `--max-body-bytes` allowed. 64 MiB.
    public static let maxBodyBytes = 64 << 20
    /// The largest payload of a record the journal writes; readers take nothing longer.
    public static let maxPayloadBytes = payloadPrefixBytes + maxEventIDBytes + maxBodyBytes

    public var receivedAtMilliseconds: Int64
    public var eventID: [UInt8]
    public var body: [UInt8]

    public init(receivedAtMilliseconds: Int64, eventID: [UInt8], body: [UInt8]) {
        self.receivedAtMilliseconds = receivedAtMilliseconds
        self.eventID = eventID
        self.body = body
    }

    /// Bytes a record with these parts takes on disk.
    public static func encodedCount(eventIDCount: Int, bodyCount: Int) -> Int {
        headerBytes + payloadPrefixBytes + eventIDCount + bodyCount
    }

    /// Encodes a record into the start of `output`, which must hold `encodedCount` bytes.
    /// - Returns: the bytes written.
    @discardableResult
    public static func encode(receivedAtMilliseconds: Int64, eventID: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer,
                              into output: UnsafeMutableRawBufferPointer) -> Int {
        let idCount = eventID.count <= maxEventIDBytes ? eventID.count : 0
        let payload = payloadPrefixBytes + idCount + body.count
        let total = headerBytes + payload
        precondition(output.count >= total, "the caller reserves room for the record")
        output.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        output.storeBytes(of: UInt32(payload).littleEndian, toByteOffset: 4, as: UInt32.self)
        output.storeBytes(of: receivedAtMilliseconds.littleEndian, toByteOffset: 12, as: Int64.self)
        output.storeBytes(of: UInt16(idCount).littleEndian, toByteOffset: 20, as: UInt16.self)
        if idCount > 0 { (output.baseAddress! + 22).copyMemory(from: eventID.baseAddress!, byteCount: idCount) }
        if body.count > 0 { (output.baseAddress! + 22 + idCount).copyMemory(from: body.baseAddress!, byteCount: body.count) }
        let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: output[4..<8]))
        let full = CRC32.checksum(UnsafeRawBufferPointer(rebasing: output[12..<total]), continuing: crc)
        output.storeBytes(of: full.littleEndian, toByteOffset: 8, as: UInt32.self)
        return total
    }

    /// Encodes a record into a new array (tools and tests).
    public func encoded() -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Self.encodedCount(eventIDCount: eventID.count <= Self.maxEventIDBytes ? eventID.count : 0, bodyCount: body.count))
        output.withUnsafeMutableBytes { out in
            eventID.withUnsafeBytes { id in
                body.withUnsafeBytes { body in
                    _ = Self.encode(receivedAtMilliseconds: receivedAtMilliseconds, eventID: id, body: body, into: out)
                }
            }
        }
        return output
    }

    /// What is at an offset of a segment.
    public enum Scan: Equatable {
        /// A valid record and the offset just past it.
        case record(payload: Range<Int>, next: Int)
        /// Fewer bytes than a whole record: a write that did not finish.
        case truncated
        /// Bytes that are not a valid record (wrong magic, impossible length or CRC mismatch).
        case corrupt
    }

    /// Reads the record at `offset` of `bytes`.
    /// - Parameter maxPayload: the largest payload a valid record may have.
    public static func scan(_ bytes: UnsafeRawBufferPointer, at offset: Int, maxPayload: Int) -> Scan {
        guard bytes.count - offset >= headerBytes else { return .truncated }
        guard UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) == magic else { return .corrupt }
        let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)))
        guard length >= payloadPrefixBytes, length <= maxPayload else { return .corrupt }
        guard bytes.count - offset - headerBytes >= length else { return .truncated }
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
        let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 8)]))
        let payload = (offset + headerBytes)..<(offset + headerBytes + length)
        guard CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[payload]), continuing: crc) == stored else { return .corrupt }
        let idCount = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: payload.lowerBound + 8, as: UInt16.self)))
        guard payloadPrefixBytes + idCount <= length else { return .corrupt }
        return .record(payload: payload, next: payload.upperBound)
    }

    /// Decodes a payload that `scan` found valid.
    public static func decode(payload: UnsafeRawBufferPointer) -> JournalRecord {
        let id = eventID(payload: payload)
        return JournalRecord(receivedAtMilliseconds: receivedAtMilliseconds(payload: payload),
                             eventID: Array(payload[id]),
                             body: Array(payload[id.upperBound...]))
    }

    /// The receive time of a payload that `scan` found valid, without decoding the rest.
    public static func receivedAtMilliseconds(payload: UnsafeRawBufferPointer) -> Int64 {
        Int64(littleEndian: payload.loadUnaligned(fromByteOffset: 0, as: Int64.self))
    }

    /// Where a valid payload's event id lies within it.
    public static func eventID(payload: UnsafeRawBufferPointer) -> Range<Int> {
        let idCount = Int(UInt16(littleEndian: payload.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
        return payloadPrefixBytes..<(payloadPrefixBytes + idCount)
    }
}
