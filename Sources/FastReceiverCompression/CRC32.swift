internal import CCRC32
internal import CZlib

/// zlib's CRC-32, the checksum of every journal record.
///
/// On a CPU with carry-less multiplication (PCLMULQDQ: every x86-64 since 2010) the whole
/// 16-byte blocks of a span of 64 bytes or more are folded with it, several times faster than
/// zlib 1.2's tables; the rest, and every span on other CPUs, goes through zlib's `crc32`. Both
/// compute the same value.
package enum CRC32 {
    /// Whether `checksum` folds with carry-less multiplication on this CPU.
    package static let isFolding = fr_crc32_fold_supported() != 0

    /// The CRC-32 of `bytes`, continuing from `crc` (the CRC-32 of the bytes before them).
    package static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard bytes.count >= 64, let base = bytes.baseAddress, isFolding else { return tableChecksum(bytes, continuing: crc) }
        let folded = bytes.count & ~15
        let state = fr_crc32_fold(~crc, base, folded)
        return tableChecksum(UnsafeRawBufferPointer(start: base + folded, count: bytes.count - folded), continuing: ~state)
    }

    /// zlib's `crc32` alone: the reference `checksum` agrees with.
    package static func tableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        UInt32(truncatingIfNeeded: fr_crc32(UInt(crc), bytes.baseAddress, bytes.count))
    }

    /// What A contributes to the CRC-32 of A followed by `count` more bytes B, given `crc` =
    /// crc(A): crc(A‖B) = shifted(crc(A), |B|) ^ crc(B), zlib's `crc32_combine(crc, 0, count)`.
    /// This is what makes the CRC of any span computable from prefix CRCs:
    /// crc(data[s..<e]) = P(e) ^ shifted(P(s), e − s), where P(i) = crc(data[0..<i]).
    ///
    /// A multiplication by x^(8·count) modulo the polynomial, done as at most two
    /// multiplications by precomputed powers (one per 16 bits of `count`), so it costs the same
    /// for any length.
    /// - Parameter count: 0 ..< 2³².
    package static func shifted(_ crc: UInt32, byBytes count: Int) -> UInt32 {
        precondition(count >= 0 && count >> 32 == 0, "a shift fits in 32 bits")
        var result = crc
        if count & 0xFFFF != 0 { result = multiply(result, powers.low[count & 0xFFFF]) }
        if count >> 16 != 0 { result = multiply(result, powers.high[count >> 16]) }
        return result
    }

    /// a·b modulo the polynomial, in zlib's bit order (bit 31 is x⁰): zlib's `multmodp`, without
    /// branches on the operands.
    @inline(__always)
    package static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var product: UInt32 = 0
        var a = a
        var b = b
        for _ in 0..<32 {
            product ^= b & (0 &- (a >> 31))
            a <<= 1
            b = (b >> 1) ^ (0xEDB8_8320 & (0 &- (b & 1)))
        }
        return product
    }

    /// x^(8·i) and x^(8·65536·i) modulo the polynomial for i in 0..<65536 (512 KiB, made on
    /// first use): each the previous times a fixed power.
    private static let powers: (low: [UInt32], high: [UInt32]) = {
        func table(step: Int) -> [UInt32] {
            let factor = fr_crc32_combine_gen(step)
            var power = fr_crc32_combine_gen(0)
            return (0..<65536).map { _ in
                defer { power = UInt(multiply(UInt32(truncatingIfNeeded: power), UInt32(truncatingIfNeeded: factor))) }
                return UInt32(truncatingIfNeeded: power)
            }
        }
        return (table(step: 1), table(step: 65536))
    }()
}
