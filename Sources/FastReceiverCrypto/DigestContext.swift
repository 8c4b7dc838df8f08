internal import COpenSSL

/// A reusable SHA-256 or SHA-1 context: the algorithm is fetched once at creation, so hashing a
/// body costs the hash and nothing else. Owned by one thread at a time (not `Sendable`).
public final class DigestContext {
    /// The hash functions DT's checksum claims use.
    public enum Algorithm: Sendable {
        case sha256, sha1

        var openSSLName: String { self == .sha256 ? "SHA256" : "SHA1" }
        var outputCount: Int { self == .sha256 ? 32 : 20 }
    }

    public let algorithm: Algorithm
    private let md: UnsafeMutableRawPointer
    private let context: UnsafeMutableRawPointer

    /// - Throws: `CryptoError` when OpenSSL cannot provide the algorithm.
    public init(_ algorithm: Algorithm) throws(CryptoError) {
        self.algorithm = algorithm
        guard let md = fr_md_fetch(algorithm.openSSLName) else { throw CryptoError("EVP_MD_fetch") }
        guard let context = fr_md_ctx_new() else {
            fr_md_free(md)
            throw CryptoError("EVP_MD_CTX_new")
        }
        self.md = md
        self.context = context
    }

    deinit {
        fr_md_ctx_free(context)
        fr_md_free(md)
    }

    /// The digest of `data`.
    /// - Throws: `CryptoError` when OpenSSL fails.
    public func hash(_ data: UnsafeRawBufferPointer) throws(CryptoError) -> Digest {
        let count = algorithm.outputCount
        return try Digest(count: count) { (out) throws(CryptoError) in
            // EVP rejects a NULL data pointer even for zero bytes.
            let written = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { empty in
                fr_md_digest(context, md, data.baseAddress ?? UnsafeRawPointer(empty.baseAddress!), data.count, out.baseAddress)
            }
            guard written == count else { throw CryptoError("EVP_Digest") }
        }
    }
}
