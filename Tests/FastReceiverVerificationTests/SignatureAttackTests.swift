import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiverVerification

@Suite struct SignatureAttackTests {
    let factory = TokenFactory()

    struct Attack: Sendable, CustomTestStringConvertible {
        let name: String
        let token: @Sendable (TokenFactory) -> String
        let expected: VerificationOutcome
        var testDescription: String { name }
    }

    static func header(_ alg: String) -> String { #"{"alg":"\#(alg)","typ":"JWT"}"# }

    static let attacks: [Attack] = [
        Attack(name: "the genuine token", token: { $0.token() }, expected: .verified),
        Attack(name: "alg none", token: { $0.token(header: header("none")) }, expected: .rejected(.unsupportedAlgorithm)),
        Attack(name: "alg None", token: { $0.token(header: header("None")) }, expected: .rejected(.unsupportedAlgorithm)),
        Attack(name: "alg HS512", token: { $0.token(header: header("HS512")) }, expected: .rejected(.unsupportedAlgorithm)),
        Attack(name: "alg RS256", token: { $0.token(header: header("RS256")) }, expected: .rejected(.unsupportedAlgorithm)),
        Attack(name: "alg hs256", token: { $0.token(header: header("hs256")) }, expected: .rejected(.unsupportedAlgorithm)),
        Attack(name: "alg HS256 with trailing space", token: { $0.token(header: header("HS256 ")) }, expected: .rejected(.unsupportedAlgorithm)),
        Attack(name: "alg as a number", token: { $0.token(header: #"{"alg":256}"#) }, expected: .rejected(.unsupportedAlgorithm)),
        Attack(name: "alg none with an empty signature", token: { f in
            String(f.token(header: header("none")).split(separator: ".", omittingEmptySubsequences: false).prefix(2).joined(separator: ".")) + "."
        }, expected: .rejected(.malformedToken)),
        Attack(name: "alg spelled with an escape is still HS256", token: { $0.token(header: #"{"alg":"HS\u0032\u00356","typ":"JWT"}"#) }, expected: .verified),
        Attack(name: "no alg at all", token: { $0.token(header: #"{"typ":"JWT"}"#) }, expected: .rejected(.malformedHeader)),
        Attack(name: "alg given twice", token: { $0.token(header: #"{"alg":"HS256","alg":"none"}"#) }, expected: .rejected(.malformedHeader)),
        Attack(name: "header that is not JSON", token: { $0.token(header: "HS256") }, expected: .rejected(.malformedHeader)),
        Attack(name: "header that is a JSON array", token: { $0.token(header: #"["alg","HS256"]"#) }, expected: .rejected(.malformedHeader)),
        Attack(name: "crit header", token: { $0.token(header: #"{"alg":"HS256","crit":["exp"]}"#) }, expected: .rejected(.criticalExtension)),
        Attack(name: "two segments", token: { f in f.token().split(separator: ".").prefix(2).joined(separator: ".") }, expected: .rejected(.malformedToken)),
        Attack(name: "one segment", token: { f in String(f.token().split(separator: ".")[0]) }, expected: .rejected(.malformedToken)),
        Attack(name: "four segments", token: { $0.token() + ".e30" }, expected: .rejected(.malformedToken)),
        Attack(name: "empty token", token: { _ in "" }, expected: .rejected(.malformedToken)),
        Attack(name: "empty claims segment", token: { f in
            let parts = f.token().split(separator: ".")
            return "\(parts[0])..\(parts[2])"
        }, expected: .rejected(.malformedToken)),
        Attack(name: "= padding on the signature", token: { $0.token() + "=" }, expected: .rejected(.invalidEncoding(.signature))),
        Attack(name: "= padding on the header", token: { f in
            let parts = f.token().split(separator: ".")
            return f.sign(rawSigningInput: "\(parts[0])=.\(parts[1])")
        }, expected: .rejected(.invalidEncoding(.header))),
        Attack(name: "standard base64 '+' in the signature", token: { f in
            var token = Array(f.token())
            token[token.count - 3] = "+"
            return String(token)
        }, expected: .rejected(.invalidEncoding(.signature))),
        Attack(name: "whitespace inside the claims", token: { f in
            let parts = f.token().split(separator: ".")
            return f.sign(rawSigningInput: "\(parts[0]).\(parts[1].prefix(8)) \(parts[1].dropFirst(8))")
        }, expected: .rejected(.invalidEncoding(.claims))),
        Attack(name: "non-canonical trailing bits in the header", token: { f in
            // "e30" is "{}"; "e31" decodes to the same bytes with a non-zero unused bit.
            f.sign(rawSigningInput: "e31.\(f.token().split(separator: ".")[1])")
        }, expected: .rejected(.invalidEncoding(.header))),
        Attack(name: "a flipped signature bit", token: { f in
            var parts = f.token().split(separator: ".").map(String.init)
            var mac = decodeBase64URL(parts[2]) ?? []
            mac[17] ^= 0x04
            parts[2] = Base64URL.encode(mac)
            return parts.joined(separator: ".")
        }, expected: .rejected(.signatureMismatch)),
        Attack(name: "a truncated signature", token: { f in String(f.token().dropLast(3)) }, expected: .rejected(.wrongSignatureLength(30))),
        Attack(name: "a signature one byte long", token: { f in
            let parts = f.token().split(separator: ".")
            return "\(parts[0]).\(parts[1]).AA"
        }, expected: .rejected(.wrongSignatureLength(1))),
        Attack(name: "a 64 KiB token", token: { f in f.token() + String(repeating: "A", count: 64 * 1024) }, expected: .rejected(.signatureTooLong(limit: 8192))),
        Attack(name: "signed with another secret", token: { $0.token(signWith: "not-the-secret") }, expected: .rejected(.signatureMismatch)),
        Attack(name: "claims that are not JSON", token: { $0.token(claims: "exp=1") }, expected: .rejected(.malformedClaims)),
        Attack(name: "claims with trailing garbage", token: { f in f.token(claims: f.claims() + "x") }, expected: .rejected(.malformedClaims)),
        Attack(name: "exp missing", token: { f in
            f.token(claims: #"{"checksum_sha256":"\#(f.sha256Hex)","iat":\#(f.now)}"#)
        }, expected: .rejected(.missingExpiry)),
        Attack(name: "exp a string", token: { f in f.token(claims: f.claims(exp: #""\#(f.now + 3600)""#)) }, expected: .rejected(.expiryNotNumeric)),
        Attack(name: "exp null", token: { f in f.token(claims: f.claims(exp: "null")) }, expected: .rejected(.expiryNotNumeric)),
        Attack(name: "exp beyond any double", token: { f in f.token(claims: f.claims(exp: "1e999")) }, expected: .rejected(.expiryOutOfRange)),
        Attack(name: "exp 1e400", token: { f in f.token(claims: f.claims(exp: "1e400")) }, expected: .rejected(.expiryOutOfRange)),
        Attack(name: "exp -1e400", token: { f in f.token(claims: f.claims(exp: "-1e400")) }, expected: .rejected(.expiryOutOfRange)),
        Attack(name: "exp beyond Int64 seconds", token: { f in f.token(claims: f.claims(exp: "1e19")) }, expected: .rejected(.expiryOutOfRange)),
        Attack(name: "exp 0e400 is zero, long expired", token: { f in f.token(claims: f.claims(exp: "0e400")) },
               expected: .rejected(.expired(exp: 0, now: 1_716_978_843, skew: 60))),
        Attack(name: "exp with 400 fraction digits is still its value", token: { f in
            f.token(claims: f.claims(exp: "\(f.now + 3600).\(String(repeating: "0", count: 400))"))
        }, expected: .verified),
        Attack(name: "exp written with 400 leading fraction zeros and a large exponent", token: { f in
            f.token(claims: f.claims(exp: "0.\(String(repeating: "0", count: 400))\(f.now + 3600)e410"))
        }, expected: .verified),
        Attack(name: "iat 1e400", token: { f in f.token(claims: f.claims(iat: "1e400")) }, expected: .rejected(.issuedAtOutOfRange)),
        Attack(name: "iat -1e400", token: { f in f.token(claims: f.claims(iat: "-1e400")) }, expected: .rejected(.issuedAtOutOfRange)),
        Attack(name: "iat 1e-400 is zero, long past", token: { f in f.token(claims: f.claims(iat: "1e-400")) }, expected: .verified),
        Attack(name: "exp just past the skew", token: { f in f.token(claims: f.claims(exp: String(f.now - 61))) },
               expected: .rejected(.expired(exp: 1_716_978_782, now: 1_716_978_843, skew: 60))),
        Attack(name: "exp exactly at the skew boundary", token: { f in f.token(claims: f.claims(exp: String(f.now - 60))) }, expected: .verified),
        Attack(name: "exp as a fraction still counts", token: { f in f.token(claims: f.claims(exp: "\(f.now - 60).5")) }, expected: .verified),
        Attack(name: "exp in exponent form", token: { f in f.token(claims: f.claims(exp: "1.7169793e9")) }, expected: .verified),
        Attack(name: "iat in the future", token: { f in f.token(claims: f.claims(iat: String(f.now + 61))) },
               expected: .rejected(.issuedInFuture(iat: 1_716_978_904, now: 1_716_978_843, skew: 60))),
        Attack(name: "iat at the skew boundary", token: { f in f.token(claims: f.claims(iat: String(f.now + 60))) }, expected: .verified),
        Attack(name: "iat a string", token: { f in f.token(claims: f.claims(iat: #""now""#)) }, expected: .rejected(.issuedAtNotNumeric)),
        Attack(name: "a claim key twice", token: { f in
            f.token(claims: #"{"checksum_sha256":"\#(f.sha256Hex)","exp":\#(f.now + 10),"exp":\#(f.now + 99999)}"#)
        }, expected: .rejected(.duplicateClaim)),
        Attack(name: "a claim key twice, once escaped", token: { f in
            f.token(claims: #"{"checksum_sha256":"\#(f.sha256Hex)","exp":\#(f.now - 9999),"\u0065xp":\#(f.now + 99999)}"#)
        }, expected: .rejected(.duplicateClaim)),
        Attack(name: "a checksum claim twice", token: { f in
            f.token(claims: #"{"checksum_sha256":"\#(f.sha256Hex)","checksum_sha256":"\#(f.sha256Hex)","exp":\#(f.now + 10)}"#)
        }, expected: .rejected(.duplicateClaim)),
        Attack(name: "checksums absent", token: { f in f.token(claims: f.claims(checksums: #""jti0":"x""#)) }, expected: .rejected(.missingChecksum)),
        Attack(name: "checksum_sha256 upper-case", token: { f in
            f.token(claims: f.claims(checksums: #""checksum_sha256":"\#(f.sha256Hex.uppercased())""#))
        }, expected: .rejected(.malformedChecksum(.sha256))),
        Attack(name: "checksum_sha256 wrong length", token: { f in
            f.token(claims: f.claims(checksums: #""checksum_sha256":"\#(f.sha256Hex.dropLast(2))""#))
        }, expected: .rejected(.malformedChecksum(.sha256))),
        Attack(name: "checksum_sha256 a number", token: { f in f.token(claims: f.claims(checksums: #""checksum_sha256":12"#)) },
               expected: .rejected(.malformedChecksum(.sha256))),
        Attack(name: "checksum (SHA-1) upper-case", token: { f in
            f.token(claims: f.claims(checksums: #""checksum":"\#(f.sha1Hex.uppercased())""#))
        }, expected: .rejected(.malformedChecksum(.sha1))),
        Attack(name: "SHA-256 wrong while SHA-1 right", token: { f in
            f.token(claims: f.claims(checksums: #""checksum":"\#(f.sha1Hex)","checksum_sha256":"\#(String(repeating: "0", count: 64))""#))
        }, expected: .rejected(.checksumMismatch(.sha256))),
        Attack(name: "only SHA-1, correct", token: { f in f.token(claims: f.claims(checksums: #""checksum":"\#(f.sha1Hex)""#)) }, expected: .verified),
        Attack(name: "only SHA-1, wrong", token: { f in
            f.token(claims: f.claims(checksums: #""checksum":"\#(String(repeating: "a", count: 40))""#))
        }, expected: .rejected(.checksumMismatch(.sha1))),
        Attack(name: "checksum hex written with escapes is still the checksum", token: { f in
            let escaped = f.sha256Hex.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined()
            return f.token(claims: f.claims(checksums: #""checksum_sha256":"\#(escaped)""#))
        }, expected: .verified),
        Attack(name: "unknown claims are ignored", token: { f in
            f.token(claims: #"{"checksum_sha256":"\#(f.sha256Hex)","exp":\#(f.now + 10),"new":{"nested":[1,2,{"a":null}]}}"#)
        }, expected: .verified),
        Attack(name: "claims nested too deep", token: { f in
            f.token(claims: #"{"checksum_sha256":"\#(f.sha256Hex)","exp":\#(f.now + 10),"x":\#(String(repeating: "[", count: 40) + String(repeating: "]", count: 40))}"#)
        }, expected: .rejected(.nestedTooDeep(.claims, limit: 32))),
        Attack(name: "33 claims", token: { f in
            f.token(claims: #"{"checksum_sha256":"\#(f.sha256Hex)","exp":\#(f.now + 10),\#((0..<31).map { "\"c\($0)\":0" }.joined(separator: ","))}"#)
        }, expected: .rejected(.tooManyMembers(.claims, limit: 32))),
        Attack(name: "32 claims", token: { f in
            f.token(claims: #"{"checksum_sha256":"\#(f.sha256Hex)","exp":\#(f.now + 10),\#((0..<30).map { "\"c\($0)\":0" }.joined(separator: ","))}"#)
        }, expected: .verified),
        Attack(name: "33 header members", token: { f in
            f.token(header: #"{"alg":"HS256",\#((0..<32).map { "\"h\($0)\":0" }.joined(separator: ","))}"#)
        }, expected: .rejected(.tooManyMembers(.header, limit: 32))),
        Attack(name: "header nested too deep", token: { f in
            f.token(header: #"{"alg":"HS256","x":\#(String(repeating: "[", count: 40) + String(repeating: "]", count: 40))}"#)
        }, expected: .rejected(.nestedTooDeep(.header, limit: 32))),
        Attack(name: "a header key twice, not alg", token: { $0.token(header: #"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#) },
               expected: .rejected(.malformedHeader)),
    ]

    @Test("Attack table", arguments: attacks)
    func attack(_ attack: Attack) throws {
        #expect(try factory.verify(attack.token(factory)) == attack.expected)
    }

    @Test("Zero and two X-Dt-Signature headers are refused before anything else")
    func headerCount() throws {
        let verifier = try factory.verifier()
        factory.body.withUnsafeBytes { body in
            #expect(verifier.verify(.missing, body: body) == .rejected(.missingSignature))
            #expect(verifier.verify(.repeated, body: body) == .rejected(.repeatedSignature))
        }
    }

    @Test("The head decides every rule but the checksum; the body is checked later against the small value the head kept")
    func headThenBody() throws {
        let verifier = try factory.verifier()
        let authentication = Array(factory.token().utf8).withUnsafeBytes { verifier.authenticate(.single($0), now: factory.now) }
        guard case .authenticated(let checksum) = authentication else {
            Issue.record("the genuine token was refused: \(authentication)")
            return
        }
        #expect(checksum.claim == .sha256)
        // Another request's token goes through the same scratch space in between.
        let other = factory.token(claims: factory.claims(checksums: #""checksum":"\#(String(repeating: "0", count: 40))""#))
        let otherAuthentication = Array(other.utf8).withUnsafeBytes { verifier.authenticate(.single($0), now: factory.now) }
        guard case .authenticated(let otherChecksum) = otherAuthentication else {
            Issue.record("the second token was refused: \(otherAuthentication)")
            return
        }
        #expect(otherChecksum.claim == .sha1)
        factory.body.withUnsafeBytes { #expect(verifier.verify($0, against: checksum) == .verified) }
        Array("{}".utf8).withUnsafeBytes { #expect(verifier.verify($0, against: checksum) == .rejected(.checksumMismatch(.sha256))) }
        factory.body.withUnsafeBytes { #expect(verifier.verify($0, against: otherChecksum) == .rejected(.checksumMismatch(.sha1))) }
        // Kept by a connection between head and body: inline bytes, no reference to anything.
        #expect(_isPOD(ExpectedChecksum.self))
        #expect(MemoryLayout<ExpectedChecksum>.size <= 48)
        // A refused token is refused before any body exists.
        let expired = Array(factory.token().utf8).withUnsafeBytes { verifier.authenticate(.single($0), now: factory.now + 3600 + 61) }
        #expect(expired == .rejected(.expired(exp: factory.now + 3600, now: factory.now + 3600 + 61, skew: 60)))
    }

    @Test("A token exactly 8 KiB long is not refused for its size")
    func sizeLimitBoundary() throws {
        // Pad the claims with an unknown member until the token is exactly 8192 bytes.
        var padding = 0
        var token = ""
        repeat {
            token = factory.token(claims: #"{"checksum_sha256":"\#(factory.sha256Hex)","exp":\#(factory.now + 10),"p":"\#(String(repeating: "x", count: padding))"}"#)
            padding += 1
        } while token.utf8.count < 8192
        #expect(token.utf8.count == 8192 || token.utf8.count == 8193)
        let expected: VerificationOutcome = token.utf8.count == 8192 ? .verified : .rejected(.signatureTooLong(limit: 8192))
        #expect(try factory.verify(token) == expected)
    }

    @Test("Every rejection has a sentence and a label, and none leaks the secret")
    func rejectionsReadWell() {
        for attack in Self.attacks {
            guard case .rejected(let reason) = attack.expected else { continue }
            #expect(!reason.description.isEmpty)
            #expect(!reason.description.contains(factory.secret))
            #expect(reason.label.allSatisfy { $0.isLowercase || $0 == "_" })
        }
        #expect(!"\(SignatureSecret("hunter2")!)".contains("hunter2"))
    }

    @Test("The verifier's own clock is used when no time is given")
    func injectedClock() throws {
        let token = Array(factory.token().utf8)
        let late = try SignatureVerifier(secrets: [SignatureSecret(factory.secret)!], clock: { 1_716_978_843 + 3600 + 61 })
        let onTime = try SignatureVerifier(secrets: [SignatureSecret(factory.secret)!], clock: { 1_716_978_843 })
        token.withUnsafeBytes { t in
            factory.body.withUnsafeBytes { body in
                #expect(onTime.verify(.single(t), body: body) == .verified)
                #expect(late.verify(.single(t), body: body) != .verified)
            }
        }
    }
}
