import CZlib

/// zlib's CRC-32, the checksum of every journal record.
enum CRC32 {
    static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        UInt32(truncatingIfNeeded: fr_crc32(UInt(crc), bytes.baseAddress, bytes.count))
    }
}
