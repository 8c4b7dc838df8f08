import Glibc

/// Decides whether a request was signed by DT Cloud: every rule of DESIGN §2, on the raw bytes.
///
/// One verifier belongs to one worker thread: it owns its OpenSSL contexts (one HMAC context per
/// secret, keyed once) and a scratch buffer for decoded token segments, so verifying a request
/// allocates nothing in Swift. Not `Sendable`; make one per thread from the same secrets.
public final class SignatureVerifier {
    /// The longest `X-Dt-Signature` value accepted, in bytes: 8 KiB.
    public static let maxTokenBytes = 8 * 1024
    /// Default tolerance for clock differences between DT Cloud and this machine: 60 seconds.
    public static let defaultClockSkew: Int64 = 60
    /// The most members a JWT header or claims object may have.
    static let maxMembers = 32

    /// Seconds of clock skew tolerated on `exp` and `iat`.
    public let clockSkew: Int64
    private let clock: @Sendable () -> Int64
    private let macs: [HMACSHA256Context]
    private let sha256: DigestContext
    private let sha1: DigestContext
    /// Decoded header and claims, one after the other (together at most 3/4 of the token).
    private let scratch: UnsafeMutableRawBufferPointer
    private let members: UnsafeMutableBufferPointer<JSONMember>

    /// - Parameters:
    ///   - secrets: every secret a valid token may be signed with (more than one during rotation).
    ///   - clockSkew: seconds tolerated on `exp` and `iat`, default 60.
    ///   - clock: the current Unix time in seconds; injectable for tests and replays.
    /// - Throws: `CryptoError` when OpenSSL cannot provide HMAC-SHA256, SHA-256 or SHA-1.
    public init(
        secrets: [SignatureSecret],
        clockSkew: Int64 = SignatureVerifier.defaultClockSkew,
        clock: @escaping @Sendable () -> Int64 = UnixTime.now
    ) throws {
        precondition(!secrets.isEmpty, "a verifier needs at least one secret")
        self.clockSkew = clockSkew
        self.clock = clock
        self.macs = try secrets.map { try HMACSHA256Context(key: $0.bytes) }
        self.sha256 = try DigestContext(.sha256)
        self.sha1 = try DigestContext(.sha1)
        self.scratch = .allocate(byteCount: Self.maxTokenBytes, alignment: 8)
        self.members = .allocate(capacity: Self.maxMembers)
    }

    deinit {
        scratch.deallocate()
        members.deallocate()
    }

    /// Verifies a request against the verifier's clock.
    /// - Parameters:
    ///   - signature: the request's `X-Dt-Signature` header(s).
    ///   - body: the body exactly as received (after transfer and content decoding).
    public func verify(_ signature: SignatureHeader, body: UnsafeRawBufferPointer) -> VerificationOutcome {
        verify(signature, body: body, now: clock())
    }

    /// Verifies a request as of `now` (Unix seconds).
    public func verify(_ signature: SignatureHeader, body: UnsafeRawBufferPointer, now: Int64) -> VerificationOutcome {
        let token: UnsafeRawBufferPointer
        switch signature {
        case .missing: return .rejected(.missingSignature)
        case .repeated: return .rejected(.repeatedSignature)
        case .single(let value): token = value
        }
        switch authenticate(token) {
        case .failure(let rejection):
            return .rejected(rejection)
        case .success(let claims):
            if let rejection = checkClaims(claims, body: body, now: now) { return .rejected(rejection) }
            return .verified
        }
    }

    /// Rules 1–3 and 6 on a compact JWS: three strict base64url segments, `alg` exactly HS256,
    /// and an HMAC-SHA256 under one of the secrets.
    /// - Returns: the decoded claims (valid until the next call), or why the token is refused.
    func authenticate(_ token: UnsafeRawBufferPointer) -> Result<UnsafeRawBufferPointer, SignatureRejection> {
        guard token.count <= Self.maxTokenBytes else { return .failure(.signatureTooLong(limit: Self.maxTokenBytes)) }
        let dot = UInt8(ascii: ".")
        guard let firstDot = token.firstIndex(of: dot, from: 0, to: token.count),
              let secondDot = token.firstIndex(of: dot, from: firstDot + 1, to: token.count),
              token.firstIndex(of: dot, from: secondDot + 1, to: token.count) == nil,
              firstDot > 0, secondDot > firstDot + 1, secondDot + 1 < token.count
        else { return .failure(.malformedToken) }
        let headerSegment = UnsafeRawBufferPointer(rebasing: token[..<firstDot])
        let claimsSegment = UnsafeRawBufferPointer(rebasing: token[(firstDot + 1)..<secondDot])
        let signatureSegment = UnsafeRawBufferPointer(rebasing: token[(secondDot + 1)...])

        // The header pins the algorithm before any key is used.
        guard let headerCount = Base64URL.decode(headerSegment, into: scratch) else {
            return .failure(.invalidEncoding(.header))
        }
        if let rejection = checkHeader(UnsafeRawBufferPointer(rebasing: scratch[..<headerCount])) {
            return .failure(rejection)
        }
        // The claims must be strict base64url too: a MAC over a sloppy encoding is still refused.
        let claimsBuffer = UnsafeMutableRawBufferPointer(rebasing: scratch[headerCount...])
        guard let claimsCount = Base64URL.decode(claimsSegment, into: claimsBuffer) else {
            return .failure(.invalidEncoding(.claims))
        }
        // The MAC covers the segments exactly as sent.
        if let rejection = checkSignature(signatureSegment, signingInput: UnsafeRawBufferPointer(rebasing: token[..<secondDot])) {
            return .failure(rejection)
        }
        return .success(UnsafeRawBufferPointer(rebasing: claimsBuffer[..<claimsCount]))
    }

    private func checkHeader(_ header: UnsafeRawBufferPointer) -> SignatureRejection? {
        let reader = JSONReader(header)
        var isHS256 = false
        var sawAlgorithm = false
        var hasCritical = false
        do {
            try reader.forEachMember(rejectingDuplicatesIn: members) { member in
                if reader.key(of: member, is: "alg") {
                    sawAlgorithm = true
                    isHS256 = member.kind == .string && reader.string(member.value, hasEscapes: member.valueHasEscapes, equals: "HS256")
                } else if reader.key(of: member, is: "crit") {
                    hasCritical = true
                }
            }
        } catch {
            return .malformedHeader
        }
        guard sawAlgorithm else { return .malformedHeader }
        guard isHS256 else { return .unsupportedAlgorithm }
        guard !hasCritical else { return .criticalExtension }
        return nil
    }

    private func checkSignature(_ segment: UnsafeRawBufferPointer, signingInput: UnsafeRawBufferPointer) -> SignatureRejection? {
        // Room for 40 bytes, so that a slightly long or padded signature is reported for what it
        // is; anything longer cannot be an HS256 signature at all.
        guard let needed = Base64URL.decodedCount(segment.count) else { return .invalidEncoding(.signature) }
        var decoded: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        guard needed <= MemoryLayout.size(ofValue: decoded) else { return .wrongSignatureLength(needed) }
        guard let count = withUnsafeMutableBytes(of: &decoded, { Base64URL.decode(segment, into: $0) }) else {
            return .invalidEncoding(.signature)
        }
        guard count == 32 else { return .wrongSignatureLength(count) }
        return withUnsafeBytes(of: decoded) { raw in
            let signature = UnsafeRawBufferPointer(rebasing: raw[..<32])
            for mac in macs {
                guard let expected = try? mac.authenticationCode(for: signingInput) else { continue }
                if expected.withUnsafeBytes({ ConstantTime.equals($0, signature) }) { return nil }
            }
            return .signatureMismatch
        }
    }

    private func checkClaims(_ claims: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer, now: Int64) -> SignatureRejection? {
        let reader = JSONReader(claims)
        var exp: JSONMember?
        var iat: JSONMember?
        var sha256Claim: JSONMember?
        var sha1Claim: JSONMember?
        do {
            try reader.forEachMember(rejectingDuplicatesIn: members) { member in
                if reader.key(of: member, is: "exp") {
                    exp = member
                } else if reader.key(of: member, is: "iat") {
                    iat = member
                } else if reader.key(of: member, is: "checksum_sha256") {
                    sha256Claim = member
                } else if reader.key(of: member, is: "checksum") {
                    sha1Claim = member
                }
            }
        } catch .duplicateKey {
            return .duplicateClaim
        } catch {
            return .malformedClaims
        }

        guard let exp else { return .missingExpiry }
        guard exp.kind == .number, let expiry = reader.number(exp.value) else { return .expiryNotNumeric }
        guard Double(now) <= expiry + Double(clockSkew) else {
            return .expired(exp: Self.seconds(expiry), now: now, skew: clockSkew)
        }
        if let iat {
            guard iat.kind == .number, let issued = reader.number(iat.value) else { return .issuedAtNotNumeric }
            guard issued <= Double(now) + Double(clockSkew) else {
                return .issuedInFuture(iat: Self.seconds(issued), now: now, skew: clockSkew)
            }
        }

        let claim: ChecksumCheck
        if let sha256Claim {
            claim = ChecksumCheck(member: sha256Claim, name: .sha256, context: sha256)
        } else if let sha1Claim {
            claim = ChecksumCheck(member: sha1Claim, name: .sha1, context: sha1)
        } else {
            return .missingChecksum
        }
        return claim.check(reader: reader, body: body)
    }

    /// Whole seconds for messages; clamps values no `Int64` holds.
    private static func seconds(_ value: Double) -> Int64 {
        value >= 9.2e18 ? .max : value <= -9.2e18 ? .min : Int64(value)
    }
}

/// Compares one checksum claim with the body's digest.
private struct ChecksumCheck {
    let member: JSONMember
    let name: SignatureRejection.ChecksumClaim
    let context: DigestContext

    func check(reader: JSONReader, body: UnsafeRawBufferPointer) -> SignatureRejection? {
        let hexCount = context.algorithm == .sha256 ? 64 : 40
        guard member.kind == .string else { return .malformedChecksum(name) }
        if !member.valueHasEscapes {
            // The usual spelling: compare the claim's bytes where they are.
            let hex = UnsafeRawBufferPointer(rebasing: reader.bytes[member.value])
            guard hex.count == hexCount, hex.allSatisfy({ HexDigits.isLowercase($0) }) else { return .malformedChecksum(name) }
            guard let digest = try? context.hash(body) else { return .checksumMismatch(name) }
            return digest.matchesLowercaseHex(hex) ? nil : .checksumMismatch(name)
        }
        var text: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &text) { raw in
            guard let count = reader.decodeString(member.value, into: raw), count == hexCount,
                  raw[..<count].allSatisfy({ HexDigits.isLowercase($0) })
            else { return .malformedChecksum(name) }
            guard let digest = try? context.hash(body) else { return .checksumMismatch(name) }
            return digest.matchesLowercaseHex(UnsafeRawBufferPointer(rebasing: raw[..<count])) ? nil : .checksumMismatch(name)
        }
    }
}
