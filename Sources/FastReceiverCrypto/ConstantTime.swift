internal import COpenSSL

/// The one place MACs are compared: a length check, then OpenSSL's `CRYPTO_memcmp`, whose running
/// time depends on the length only, never on where the bytes differ.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes. Lengths are not secret; contents are.
    public static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let left = a.baseAddress, let right = b.baseAddress else { return a.count == 0 }
        return fr_memcmp(left, right, a.count) == 0
    }
}
