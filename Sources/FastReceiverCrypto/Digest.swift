/// The output of a hash or MAC: up to 32 bytes, held inline so producing one never allocates.
///
/// Equality is decided in constant time (after a length check), so a `Digest` holding a MAC can
/// be compared with `==` without leaking where the first difference is.
public struct Digest: Sendable, CustomStringConvertible {
    /// The largest digest this type holds: SHA-256's 32 bytes.
    public static let capacity = 32

    /// How many of the inline bytes are meaningful: 32 for SHA-256 and HMAC-SHA256, 20 for SHA-1.
    public let count: Int
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// Creates a digest by letting `fill` write exactly `count` bytes.
    init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws(CryptoError) -> Void) throws(CryptoError) {
        precondition(count > 0 && count <= Digest.capacity, "a digest holds 1...32 bytes")
        self.count = count
        var storage = self.storage
        do {
            try withUnsafeMutableBytes(of: &storage) { (raw) throws(CryptoError) in
                try fill(UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]))
            }
        }
        self.storage = storage
    }

    /// Calls `body` with the digest's `count` bytes.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage) { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[0..<count]))
        }
    }

    /// The bytes as an array (for tests and tools; the request path uses `withUnsafeBytes`).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lower-case hexadecimal, the form DT uses for `checksum` and `checksum_sha256`.
    public var hex: String {
        withUnsafeBytes { raw in
            String(unsafeUninitializedCapacity: raw.count * 2) { out in
                for (index, byte) in raw.enumerated() {
                    out[2 * index] = HexDigits.lowercase[Int(byte >> 4)]
                    out[2 * index + 1] = HexDigits.lowercase[Int(byte & 0x0F)]
                }
                return raw.count * 2
            }
        }
    }

    /// Reads a digest written in lower-case hex, the only spelling DT uses for `checksum` and
    /// `checksum_sha256`.
    /// - Parameter hex: an even number, 2…64, of the characters `0–9 a–f`.
    /// - Returns: nil for anything else (odd or wrong length, upper case, other characters).
    public init?(lowercaseHex hex: UnsafeRawBufferPointer) {
        guard hex.count >= 2, hex.count % 2 == 0, hex.count <= 2 * Digest.capacity else { return nil }
        let count = hex.count / 2
        var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let isValid = withUnsafeMutableBytes(of: &storage) { raw in
            for index in 0..<count {
                let high = HexDigits.lowercaseValue(hex[2 * index])
                let low = HexDigits.lowercaseValue(hex[2 * index + 1])
                guard high < 16, low < 16 else { return false }
                raw[index] = high << 4 | low
            }
            return true
        }
        guard isValid else { return nil }
        self.count = count
        self.storage = storage
    }

    public var description: String { "Digest(\(count) bytes)" }
}

extension Digest: Equatable {
    /// Constant-time equality (see `ConstantTime.equals`).
    public static func == (lhs: Digest, rhs: Digest) -> Bool {
        lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in ConstantTime.equals(a, b) } }
    }
}

/// The sixteen lower-case hexadecimal digits as ASCII bytes.
enum HexDigits {
    static let lowercase: [UInt8] = Array("0123456789abcdef".utf8)
}

extension HexDigits {
    /// The value of one of `0–9 a–f`, or 0xFF for any other byte (upper case included).
    static func lowercaseValue(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte &- UInt8(ascii: "a") &+ 10
        default: 0xFF
        }
    }
}
