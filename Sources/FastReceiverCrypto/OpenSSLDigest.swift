internal import COpenSSL

/// OpenSSL's one-shot SHA-1, SHA-256 and HMAC-SHA256.
///
/// Convenient for tools and tests. Each call looks its algorithm up again inside OpenSSL 3, so the
/// request path uses the reusable `DigestContext` and `HMACSHA256Context` instead.
public enum OpenSSLDigest {
    /// SHA-256 of `data`.
    /// - Throws: `CryptoError` when OpenSSL fails.
    public static func sha256(_ data: UnsafeRawBufferPointer) throws(CryptoError) -> Digest {
        try Digest(count: 32) { (out) throws(CryptoError) in
            guard fr_sha256(data.baseAddress, data.count, out.baseAddress) == 1 else { throw CryptoError("SHA256") }
        }
    }

    /// SHA-1 of `data` (only for DT's legacy `checksum` claim).
    /// - Throws: `CryptoError` when OpenSSL fails.
    public static func sha1(_ data: UnsafeRawBufferPointer) throws(CryptoError) -> Digest {
        try Digest(count: 20) { (out) throws(CryptoError) in
            guard fr_sha1(data.baseAddress, data.count, out.baseAddress) == 1 else { throw CryptoError("SHA1") }
        }
    }

    /// HMAC-SHA256 of `data` keyed with `key`.
    /// - Throws: `CryptoError` when OpenSSL fails.
    public static func hmacSHA256(key: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer) throws(CryptoError) -> Digest {
        try Digest(count: 32) { (out) throws(CryptoError) in
            guard fr_hmac_sha256(key.baseAddress, key.count, data.baseAddress, data.count, out.baseAddress) == 1 else {
                throw CryptoError("HMAC")
            }
        }
    }

    /// SHA-256 of a byte array.
    public static func sha256(_ data: [UInt8]) throws -> Digest {
        try data.withUnsafeBytes { try sha256($0) }
    }

    /// SHA-1 of a byte array.
    public static func sha1(_ data: [UInt8]) throws -> Digest {
        try data.withUnsafeBytes { try sha1($0) }
    }

    /// HMAC-SHA256 of a byte array.
    public static func hmacSHA256(key: [UInt8], data: [UInt8]) throws -> Digest {
        try key.withUnsafeBytes { k in try data.withUnsafeBytes { d in try hmacSHA256(key: k, data: d) } }
    }
}
