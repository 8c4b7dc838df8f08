internal import COpenSSL

/// An HMAC-SHA256 context keyed once with one secret and reused for every request.
///
/// OpenSSL processes the key (hashing or padding it into the inner and outer pads) at creation,
/// so a request only pays for the MAC itself. The key bytes are copied into OpenSSL and not
/// kept here. Owned by one thread at a time (not `Sendable`).
public final class HMACSHA256Context {
    private let context: UnsafeMutableRawPointer

    /// - Parameter key: the secret's bytes.
    /// - Throws: `CryptoError` when OpenSSL cannot create the context.
    public init(key: UnsafeRawBufferPointer) throws(CryptoError) {
        guard let context = fr_mac_sha256_new(key.baseAddress, key.count) else { throw CryptoError("EVP_MAC_init") }
        self.context = context
    }

    /// - Parameter key: the secret's bytes.
    public convenience init(key: [UInt8]) throws {
        let context = try key.withUnsafeBytes { raw in
            guard let context = fr_mac_sha256_new(raw.baseAddress, raw.count) else { throw CryptoError("EVP_MAC_init") }
            return context
        }
        self.init(context: context)
    }

    private init(context: UnsafeMutableRawPointer) {
        self.context = context
    }

    deinit {
        fr_mac_free(context)
    }

    /// The HMAC-SHA256 of `data` under this context's key.
    /// - Throws: `CryptoError` when OpenSSL fails.
    public func authenticationCode(for data: UnsafeRawBufferPointer) throws(CryptoError) -> Digest {
        try Digest(count: 32) { (out) throws(CryptoError) in try compute(data, into: out) }
    }

    /// Whether `code` is the HMAC-SHA256 of `data` under this context's key, compared in constant
    /// time after a length check (`ConstantTime.equals`).
    /// - Throws: `CryptoError` when OpenSSL fails.
    public func isValidAuthenticationCode(_ code: UnsafeRawBufferPointer, for data: UnsafeRawBufferPointer) throws(CryptoError) -> Bool {
        var expected: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        try withUnsafeMutableBytes(of: &expected) { (out) throws(CryptoError) in try compute(data, into: out) }
        return withUnsafeBytes(of: expected) { ConstantTime.equals($0, code) }
    }

    /// Writes the 32-byte MAC of `data` into `out`.
    private func compute(_ data: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        let ok: Int32
        if let input = data.baseAddress {
            ok = fr_mac_sha256(context, input, data.count, out.baseAddress)
        } else {
            // OpenSSL is handed a real pointer even for no bytes.
            ok = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { empty in
                fr_mac_sha256(context, UnsafeRawPointer(empty.baseAddress!), 0, out.baseAddress)
            }
        }
        guard ok == 1 else { throw CryptoError("EVP_MAC_final") }
    }
}
