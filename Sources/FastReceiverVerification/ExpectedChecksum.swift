public import FastReceiverCrypto

/// The digest a verified token's checksum claim names for the body (DESIGN §2 rule 5).
///
/// Held inline (at most 32 bytes), so a connection can keep it from the moment the head is
/// verified until the body has arrived without allocating and without pointing into the
/// verifier's scratch space, which the next request reuses.
public struct ExpectedChecksum: Sendable, Equatable, CustomStringConvertible {
    /// The claim it came from: `checksum_sha256` (SHA-256) when present, else `checksum` (SHA-1).
    public let claim: SignatureRejection.ChecksumClaim
    /// The digest the claim names: 32 bytes for SHA-256, 20 for SHA-1.
    @usableFromInline let digest: Digest

    /// - Parameters:
    ///   - claim: which claim `hex` comes from.
    ///   - hex: the claim's value, unescaped.
    /// - Returns: nil unless `hex` is exactly the claim's digest length in lower-case hex.
    init?(claim: SignatureRejection.ChecksumClaim, hex: UnsafeRawBufferPointer) {
        let byteCount = claim == .sha256 ? 32 : 20
        guard hex.count == 2 * byteCount, let digest = Digest(lowercaseHex: hex) else { return nil }
        self.claim = claim
        self.digest = digest
    }

    public var description: String { "\(claim.rawValue) \(digest.hex)" }
}
