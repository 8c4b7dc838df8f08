/// A 128-bit fingerprint of an `eventId`, the dedupe index's key. Two independent 64-bit
/// hashes keep a false match (an event wrongly taken for a duplicate) out of practical reach
/// while storing no id bytes.
public struct EventKey: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The key of an event id's bytes.
    @inlinable
    public init(_ id: UnsafeRawBufferPointer) {
        high = Self.hash(id, seed: 0x9E37_79B9_7F4A_7C15)
        low = Self.hash(id, seed: 0xC2B2_AE3D_27D4_EB4F)
        if high == 0 && low == 0 { low = 1 }
    }

    /// A 64-bit hash: FNV-1a style mixing eight bytes at a time with a strong finaliser.
    @inlinable
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var state = seed ^ UInt64(bytes.count) &* 0x9FB2_1C65_1E98_DF25
        var index = 0
        while index + 8 <= bytes.count {
            state = mix(state ^ bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        return mix(mix(state ^ tail) ^ seed)
    }

    @inlinable
    static func mix(_ value: UInt64) -> UInt64 {
        var x = value &* 0xBF58_476D_1CE4_E5B9
        x ^= x >> 31
        x = x &* 0x94D0_49BB_1331_11EB
        x ^= x >> 29
        return x &* 0xFF51_AFD7_ED55_8CCD ^ (x >> 32)
    }
}
