internal import FastReceiverCrypto
public import FastReceiverVerification
internal import Foundation


/// Builds DT-style tokens for attack tests: the same HS256 construction DT Cloud uses, with
/// every part open to tampering.
public struct TokenFactory {
    public var secret = "attack-table-secret"
    public var body: [UInt8] = Array(#"{"event":{"eventId":"c7fa4e34fet12rl646l0","eventType":"touch","data":{"touch":{"updateTime":"2024-05-29T10:34:03.521Z"}},"timestamp":"2024-05-29T10:34:03.521Z"},"labels":{}}"#.utf8)
    public var now: Int64 = 1_716_978_843

    public init() {}

    public var sha1Hex: String { (try? OpenSSLDigest.sha1(body).hex) ?? "" }
    public var sha256Hex: String { (try? OpenSSLDigest.sha256(body).hex) ?? "" }

    /// DT's claims, as DT orders them.
    public func claims(exp: String? = nil, iat: String? = nil, checksums: String? = nil) -> String {
        let sums = checksums ?? #""checksum":"\#(sha1Hex)","checksum_sha256":"\#(sha256Hex)""#
        var parts = [sums]
        parts.append(#""exp":\#(exp ?? String(now + 3600))"#)
        parts.append(#""iat":\#(iat ?? String(now))"#)
        parts.append(#""jti":"c7fa4e77gf87eif6j3tg""#)
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// A compact JWS over `header` and `claims`, signed with `secret` (or `signWith`).
    public func token(header: String = #"{"alg":"HS256","typ":"JWT"}"#, claims: String? = nil, signWith: String? = nil) -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array((claims ?? self.claims()).utf8))
        let mac = (try? OpenSSLDigest.hmacSHA256(key: Array((signWith ?? secret).utf8), data: Array(input.utf8)).bytes) ?? []
        return input + "." + Base64URL.encode(mac)
    }

    /// Signs arbitrary segment text as given (no encoding), for malformed-segment cases.
    public func sign(rawSigningInput input: String) -> String {
        let mac = (try? OpenSSLDigest.hmacSHA256(key: Array(secret.utf8), data: Array(input.utf8)).bytes) ?? []
        return input + "." + Base64URL.encode(mac)
    }

    public func verifier(secrets: [String]? = nil) throws -> SignatureVerifier {
        let now = self.now
        return try SignatureVerifier(secrets: (secrets ?? [secret]).compactMap(SignatureSecret.init), clock: { now })
    }

    public func verify(_ token: String, body: [UInt8]? = nil, at time: Int64? = nil, secrets: [String]? = nil) throws -> VerificationOutcome {
        let verifier = try verifier(secrets: secrets)
        return Array(token.utf8).withUnsafeBytes { tokenBytes in
            (body ?? self.body).withUnsafeBytes { verifier.verify(.single(tokenBytes), body: $0, now: time ?? now) }
        }
    }
}
