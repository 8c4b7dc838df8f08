public import FastReceiverCrypto
internal import FastReceiverJSON
public import FastReceiverSystem
internal import Glibc

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
    @usableFromInline let sha256: DigestContext
    @usableFromInline let sha1: DigestContext
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

    /// Verifies a request as of `now` (Unix seconds): `authenticate` and then the body's checksum.
    public func verify(_ signature: SignatureHeader, body: UnsafeRawBufferPointer, now: Int64) -> VerificationOutcome {
        switch authenticate(signature, now: now) {
        case .authenticated(let checksum): verify(body, against: checksum)
        case .rejected(let rejection): .rejected(rejection)
        case .failed(let error): .failed(error)
        }
    }

    /// Everything the head decides (DESIGN §2 rules 1–4 and 6): one well-formed token, `alg`
    /// exactly HS256, an HMAC-SHA256 under one of the secrets, `exp` and `iat` within the clock
    /// skew of `now`, no repeated claim, and a checksum claim of the right form.
    ///
    /// A server calls it as soon as a request's head has arrived, so a request that is not
    /// DT's is refused before its body is buffered or inflated.
    /// - Parameters:
    ///   - signature: the request's `X-Dt-Signature` header(s).
    ///   - now: the current Unix time in seconds.
    /// - Returns: the checksum the body must match, or why the request is refused.
    @inlinable
    public func authenticate(_ signature: SignatureHeader, now: Int64) -> Authentication {
        let token: UnsafeRawBufferPointer
        switch signature {
        case .missing: return .rejected(.missingSignature)
        case .repeated: return .rejected(.repeatedSignature)
        case .single(let value): token = value
        }
        switch checkToken(token) {
        case .signed(let claims): return checkClaims(claims, now: now)
        case .rejected(let rejection): return .rejected(rejection)
        case .failed(let error): return .failed(error)
        }
    }

    /// Rule 5: whether `body` hashes to the digest an authenticated token named.
    /// - Parameters:
    ///   - body: the body exactly as received (after transfer and content decoding).
    ///   - checksum: what `authenticate` returned for the request's token.
    @inlinable
    public func verify(_ body: UnsafeRawBufferPointer, against checksum: ExpectedChecksum) -> VerificationOutcome {
        let context = checksum.claim == .sha256 ? sha256 : sha1
        do {
            return try context.hash(body) == checksum.digest ? .verified : .rejected(.checksumMismatch(checksum.claim))
        } catch {
            return .failed(error)
        }
    }

    /// What `checkToken` found.
    @usableFromInline
    enum TokenCheck {
        /// Signed with a configured secret: the decoded claims, valid until the next call.
        case signed(claims: UnsafeRawBufferPointer)
        case rejected(SignatureRejection)
        case failed(CryptoError)
    }

    /// Rules 1–3 and 6 on a compact JWS: three strict base64url segments, `alg` exactly HS256,
    /// and an HMAC-SHA256 under one of the secrets.
    @usableFromInline
    func checkToken(_ token: UnsafeRawBufferPointer) -> TokenCheck {
        guard token.count <= Self.maxTokenBytes else { return .rejected(.signatureTooLong(limit: Self.maxTokenBytes)) }
        let dot = UInt8(ascii: ".")
        guard let firstDot = token.firstIndex(of: dot, from: 0, to: token.count),
              let secondDot = token.firstIndex(of: dot, from: firstDot + 1, to: token.count),
              token.firstIndex(of: dot, from: secondDot + 1, to: token.count) == nil,
              firstDot > 0, secondDot > firstDot + 1, secondDot + 1 < token.count
        else { return .rejected(.malformedToken) }
        let headerSegment = UnsafeRawBufferPointer(rebasing: token[..<firstDot])
        let claimsSegment = UnsafeRawBufferPointer(rebasing: token[(firstDot + 1)..<secondDot])
        let signatureSegment = UnsafeRawBufferPointer(rebasing: token[(secondDot + 1)...])

        // The header pins the algorithm before any key is used.
        guard let headerCount = Base64URL.decode(headerSegment, into: scratch) else {
            return .rejected(.invalidEncoding(.header))
        }
        if let rejection = checkHeader(UnsafeRawBufferPointer(rebasing: scratch[..<headerCount])) {
            return .rejected(rejection)
        }
        // The claims must be strict base64url too: a MAC over a sloppy encoding is still refused.
        let claimsBuffer = UnsafeMutableRawBufferPointer(rebasing: scratch[headerCount...])
        guard let claimsCount = Base64URL.decode(claimsSegment, into: claimsBuffer) else {
            return .rejected(.invalidEncoding(.claims))
        }
        // The MAC covers the segments exactly as sent.
        if let refusal = checkSignature(signatureSegment, signingInput: UnsafeRawBufferPointer(rebasing: token[..<secondDot])) {
            return refusal
        }
        return .signed(claims: UnsafeRawBufferPointer(rebasing: claimsBuffer[..<claimsCount]))
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
        } catch .tooManyMembers(let limit) {
            return .tooManyMembers(.header, limit: limit)
        } catch .tooDeep(let limit) {
            return .nestedTooDeep(.header, limit: limit)
        } catch {
            return .malformedHeader
        }
        guard sawAlgorithm else { return .malformedHeader }
        guard isHS256 else { return .unsupportedAlgorithm }
        guard !hasCritical else { return .criticalExtension }
        return nil
    }

    /// - Returns: nil when a secret's MAC matches, else why not.
    private func checkSignature(_ segment: UnsafeRawBufferPointer, signingInput: UnsafeRawBufferPointer) -> TokenCheck? {
        // Room for 40 bytes, so that a slightly long or padded signature is reported for what it
        // is; anything longer cannot be an HS256 signature at all.
        guard let needed = Base64URL.decodedCount(segment.count) else { return .rejected(.invalidEncoding(.signature)) }
        var decoded: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        guard needed <= MemoryLayout.size(ofValue: decoded) else { return .rejected(.wrongSignatureLength(needed)) }
        guard let count = withUnsafeMutableBytes(of: &decoded, { Base64URL.decode(segment, into: $0) }) else {
            return .rejected(.invalidEncoding(.signature))
        }
        guard count == 32 else { return .rejected(.wrongSignatureLength(count)) }
        return withUnsafeBytes(of: decoded) { raw -> TokenCheck? in
            let signature = UnsafeRawBufferPointer(rebasing: raw[..<32])
            // A secret whose MAC OpenSSL cannot compute does not stop another from matching; the
            // failure decides only when no secret matched.
            var failure: CryptoError?
            for mac in macs {
                do throws(CryptoError) {
                    if try mac.isValidAuthenticationCode(signature, for: signingInput) { return nil }
                } catch {
                    failure = error
                }
            }
            return failure.map { .failed($0) } ?? .rejected(.signatureMismatch)
        }
    }

    /// Rule 4 and the form of rule 5's claim, on authenticated claims.
    @usableFromInline
    func checkClaims(_ claims: UnsafeRawBufferPointer, now: Int64) -> Authentication {
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
            return .rejected(.duplicateClaim)
        } catch .tooManyMembers(let limit) {
            return .rejected(.tooManyMembers(.claims, limit: limit))
        } catch .tooDeep(let limit) {
            return .rejected(.nestedTooDeep(.claims, limit: limit))
        } catch {
            return .rejected(.malformedClaims)
        }

        guard let exp else { return .rejected(.missingExpiry) }
        guard exp.kind == .number else { return .rejected(.expiryNotNumeric) }
        let expiry = reader.number(exp.value)
        guard Self.timeRange.contains(expiry) else { return .rejected(.expiryOutOfRange) }
        guard Double(now) <= expiry + Double(clockSkew) else {
            return .rejected(.expired(exp: Int64(expiry), now: now, skew: clockSkew))
        }
        if let iat {
            guard iat.kind == .number else { return .rejected(.issuedAtNotNumeric) }
            let issued = reader.number(iat.value)
            guard Self.timeRange.contains(issued) else { return .rejected(.issuedAtOutOfRange) }
            guard issued <= Double(now) + Double(clockSkew) else {
                return .rejected(.issuedInFuture(iat: Int64(issued), now: now, skew: clockSkew))
            }
        }

        let member: JSONMember
        let claim: SignatureRejection.ChecksumClaim
        if let sha256Claim {
            (member, claim) = (sha256Claim, .sha256)
        } else if let sha1Claim {
            (member, claim) = (sha1Claim, .sha1)
        } else {
            return .rejected(.missingChecksum)
        }
        guard member.kind == .string else { return .rejected(.malformedChecksum(claim)) }
        if !member.valueHasEscapes {
            // The usual spelling: read the claim's bytes where they are.
            let hex = UnsafeRawBufferPointer(rebasing: reader.bytes[member.value])
            return ExpectedChecksum(claim: claim, hex: hex).map { .authenticated($0) } ?? .rejected(.malformedChecksum(claim))
        }
        var text: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &text) { raw in
            guard let count = reader.decodeString(member.value, into: raw),
                  let checksum = ExpectedChecksum(claim: claim, hex: UnsafeRawBufferPointer(rebasing: raw[..<count]))
            else { return .rejected(.malformedChecksum(claim)) }
            return .authenticated(checksum)
        }
    }

    /// The times `exp` and `iat` may name, in Unix seconds: those an `Int64` holds, so that a
    /// reason can quote them exactly.
    private static let timeRange = -9.2e18...9.2e18
}
