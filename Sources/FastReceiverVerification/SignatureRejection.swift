/// Why a request's signature was refused: one case per rule of DESIGN §2.
///
/// Each reason has a sentence a person can act on and a stable label for metrics and logs.
/// Neither contains a secret, a token or body bytes; the numbers are the token's own times.
public enum SignatureRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which of the token's three segments.
    public enum Segment: String, Sendable { case header, claims, signature }
    /// Which checksum claim.
    public enum ChecksumClaim: String, Sendable { case sha256 = "checksum_sha256", sha1 = "checksum" }

    case missingSignature
    case repeatedSignature
    case signatureTooLong(limit: Int)
    case malformedToken
    case invalidEncoding(Segment)
    case malformedHeader
    case tooManyMembers(Segment, limit: Int)
    case nestedTooDeep(Segment, limit: Int)
    case unsupportedAlgorithm
    case criticalExtension
    case wrongSignatureLength(Int)
    case signatureMismatch
    case malformedClaims
    case duplicateClaim
    case missingExpiry
    case expiryNotNumeric
    case expiryOutOfRange
    case expired(exp: Int64, now: Int64, skew: Int64)
    case issuedAtNotNumeric
    case issuedAtOutOfRange
    case issuedInFuture(iat: Int64, now: Int64, skew: Int64)
    case missingChecksum
    case malformedChecksum(ChecksumClaim)
    case checksumMismatch(ChecksumClaim)

    /// Every `label`, in `labelIndex` order.
    public static let labels = [
        "missing_signature", "repeated_signature", "signature_too_long", "malformed_token", "invalid_encoding",
        "malformed_header", "too_many_members", "nested_too_deep", "unsupported_algorithm", "critical_extension",
        "wrong_signature_length", "signature_mismatch", "malformed_claims", "duplicate_claim", "missing_exp",
        "exp_not_numeric", "exp_out_of_range", "expired", "iat_not_numeric", "iat_out_of_range", "iat_in_future",
        "missing_checksum", "malformed_checksum", "checksum_mismatch",
    ]

    /// This reason's position in `labels` (for per-reason counters without a dictionary).
    public var labelIndex: Int {
        switch self {
        case .missingSignature: 0
        case .repeatedSignature: 1
        case .signatureTooLong: 2
        case .malformedToken: 3
        case .invalidEncoding: 4
        case .malformedHeader: 5
        case .tooManyMembers: 6
        case .nestedTooDeep: 7
        case .unsupportedAlgorithm: 8
        case .criticalExtension: 9
        case .wrongSignatureLength: 10
        case .signatureMismatch: 11
        case .malformedClaims: 12
        case .duplicateClaim: 13
        case .missingExpiry: 14
        case .expiryNotNumeric: 15
        case .expiryOutOfRange: 16
        case .expired: 17
        case .issuedAtNotNumeric: 18
        case .issuedAtOutOfRange: 19
        case .issuedInFuture: 20
        case .missingChecksum: 21
        case .malformedChecksum: 22
        case .checksumMismatch: 23
        }
    }

    /// A stable snake_case name, e.g. for a `reason` metric label.
    public var label: String { Self.labels[labelIndex] }

    public var description: String {
        switch self {
        case .missingSignature:
            "the X-Dt-Signature header is missing: DT Cloud signs every request, so this one did not come from a Data Connector"
        case .repeatedSignature:
            "more than one X-Dt-Signature header was sent: exactly one is accepted"
        case .signatureTooLong(let limit):
            "the X-Dt-Signature header is longer than \(limit) bytes"
        case .malformedToken:
            "X-Dt-Signature is not a JWT: it must be three non-empty segments separated by dots"
        case .invalidEncoding(let segment):
            "the JWT \(segment.rawValue) segment is not unpadded base64url"
        case .malformedHeader:
            "the JWT header is not a JSON object with exactly one alg member and no repeated key"
        case .tooManyMembers(.claims, let limit):
            "the JWT carries too many claims: more than \(limit)"
        case .tooManyMembers(let segment, let limit):
            "the JWT \(segment.rawValue) has more than \(limit) members"
        case .nestedTooDeep(let segment, let limit):
            "the JWT \(segment.rawValue) nests objects or arrays deeper than \(limit) levels"
        case .unsupportedAlgorithm:
            "the JWT header's alg is not HS256: no other algorithm is accepted"
        case .criticalExtension:
            "the JWT header lists critical extensions (crit), which this receiver does not implement"
        case .wrongSignatureLength(let count):
            "the JWT signature is \(count) bytes: an HS256 signature is 32"
        case .signatureMismatch:
            "the signature does not match any configured secret: check that DT_SIGNATURE_SECRET equals the Data Connector's signature secret"
        case .malformedClaims:
            "the JWT claims are not a JSON object"
        case .duplicateClaim:
            "the JWT claims name the same key twice: ambiguous claims are refused"
        case .missingExpiry:
            "the JWT claims have no exp: DT Cloud always sets one"
        case .expiryNotNumeric:
            "the JWT exp claim is not a number"
        case .expiryOutOfRange:
            "the JWT exp claim is a number too large in magnitude to be a time (beyond ±9.2e18 seconds)"
        case .expired(let exp, let now, let skew):
            "the token expired at \(exp) (now \(now), \(skew) s of clock skew allowed): a late replay, or this machine's clock is wrong"
        case .issuedAtNotNumeric:
            "the JWT iat claim is not a number"
        case .issuedAtOutOfRange:
            "the JWT iat claim is a number too large in magnitude to be a time (beyond ±9.2e18 seconds)"
        case .issuedInFuture(let iat, let now, let skew):
            "the token was issued at \(iat), in the future (now \(now), \(skew) s of clock skew allowed): check this machine's clock"
        case .missingChecksum:
            "the JWT claims carry neither checksum_sha256 nor checksum, so the body is not covered by the signature"
        case .malformedChecksum(let claim):
            "the \(claim.rawValue) claim is not \(claim == .sha256 ? 64 : 40) lower-case hex characters"
        case .checksumMismatch(let claim):
            "\(claim.rawValue) does not match the body: it was changed or re-encoded after signing"
        }
    }
}
