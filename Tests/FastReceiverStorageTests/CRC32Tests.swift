import Testing

@testable import FastReceiverCompression

@Suite struct CRC32Tests {
    /// The CRC-32 one bit at a time (reflected polynomial 0xEDB88320), independent of zlib and
    /// of the folding code.
    static func bitwise(_ bytes: some Sequence<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        var register = ~crc
        for byte in bytes {
            register ^= UInt32(byte)
            for _ in 0..<8 { register = (register >> 1) ^ (0xEDB8_8320 & (0 &- (register & 1))) }
        }
        return ~register
    }

    @Test func checkValueOfTheCatalogue() {
        // The "check" value of CRC-32/ISO-HDLC (the zlib, gzip and PNG CRC) in the CRC catalogue.
        let digits = Array("123456789".utf8)
        #expect(digits.withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
        // 64 bytes and more take the folding path where the CPU has it.
        let long = Array(repeating: digits, count: 20).flatMap { $0 }
        #expect(long.withUnsafeBytes { CRC32.checksum($0) } == Self.bitwise(long))
    }

    @Test func foldsWhereTheCPUCan() {
        #if arch(x86_64)
        // Every x86-64 CPU since 2010 has PCLMULQDQ: without it the tests below check zlib alone.
        #expect(CRC32.isFolding)
        #endif
    }

    @Test func everyLengthAndAlignmentAgreesWithZlibAndTheBitwiseReference() {
        var random = SegmentScannerTests.SplitMix(state: 0x5EED)
        let data = (0..<2048).map { _ in UInt8.random(in: 0...255, using: &random) }
        data.withUnsafeBytes { all in
            for length in 0...700 {
                for offset in [0, 1, 3, 8, 15] {
                    let span = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
                    let seed = UInt32.random(in: 0...UInt32.max, using: &random)
                    let expected = CRC32.tableChecksum(span, continuing: seed)
                    #expect(CRC32.checksum(span, continuing: seed) == expected, "length \(length), offset \(offset)")
                    if length % 97 == 0 { #expect(Self.bitwise(span, continuing: seed) == expected, "length \(length)") }
                }
            }
            #expect(CRC32.checksum(all) == CRC32.tableChecksum(all))
        }
    }

    @Test func continuingAcrossAnySplitEqualsOneCall() {
        var random = SegmentScannerTests.SplitMix(state: 42)
        let data = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &random) }
        data.withUnsafeBytes { all in
            let whole = CRC32.checksum(all)
            for split in stride(from: 0, through: all.count, by: 37) {
                let first = CRC32.checksum(UnsafeRawBufferPointer(rebasing: all[..<split]))
                #expect(CRC32.checksum(UnsafeRawBufferPointer(rebasing: all[split...]), continuing: first) == whole, "split \(split)")
            }
        }
    }
}
