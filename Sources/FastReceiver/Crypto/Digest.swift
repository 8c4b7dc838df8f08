/// The output of a hash or MAC: up to 32 bytes, held inline so producing one never allocates.
///
/// Equality is decided in constant time (after a length check), so a `Digest` holding a MAC can
/// be compared with `==` without leaking where the first difference is.
public struct Digest: Sendable, CustomStringConvertible {
    /// The largest digest this type holds: SHA-256's 32 bytes.
    public static let capacity = 32

    /// How many of the inline bytes are meaningful: 32 for SHA-256 and HMAC-SHA256, 20 for SHA-1.
    public let count: Int
    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

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

    /// Creates a digest from bytes, e.g. a decoded signature; nil when there are more than 32.
    public init?(bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty, bytes.count <= Digest.capacity else { return nil }
        self.count = bytes.count
        withUnsafeMutableBytes(of: &storage) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
    }

    /// Calls `body` with the digest's `count` bytes.
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

    /// Whether `hexBytes` is exactly this digest in lower-case hex (the only spelling DT uses).
    ///
    /// Not secret-dependent (checksums travel in the clear), so an early exit is fine here.
    public func matchesLowercaseHex(_ hexBytes: UnsafeRawBufferPointer) -> Bool {
        guard hexBytes.count == 2 * count else { return false }
        return withUnsafeBytes { raw in
            for index in 0..<raw.count {
                let byte = raw[index]
                if hexBytes[2 * index] != HexDigits.lowercase[Int(byte >> 4)] { return false }
                if hexBytes[2 * index + 1] != HexDigits.lowercase[Int(byte & 0x0F)] { return false }
            }
            return true
        }
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
    /// Whether `byte` is one of `0–9 a–f`.
    static func isLowercase(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }
}
