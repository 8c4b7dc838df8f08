import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiverCrypto
@testable import FastReceiverVerification

/// RFC 4231 §4: HMAC-SHA256 test cases 1–7 (case 5's output truncated to 128 bits).
private let rfc4231: [(key: [UInt8], data: [UInt8], mac: String)] = [
    ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (Array(1...25), [UInt8](repeating: 0xcd, count: 50),
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    ([UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8),
     "a3b6167473100ee06e0c796c2955552b"),
    ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ([UInt8](repeating: 0xaa, count: 131),
     Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]

@Suite struct OpenSSLDigestTests {
    @Test("RFC 4231 HMAC-SHA256, one-shot and reusable context", arguments: rfc4231.indices)
    func rfc4231Case(_ index: Int) throws {
        let (key, data, expected) = rfc4231[index]
        let oneShot = try OpenSSLDigest.hmacSHA256(key: key, data: data)
        let context = try HMACSHA256Context(key: key)
        let reused = try data.withUnsafeBytes { try context.authenticationCode(for: $0) }
        #expect(oneShot.hex.hasPrefix(expected))
        #expect(reused == oneShot)
        // The same context again gives the same answer: the key survives reuse.
        #expect(try data.withUnsafeBytes { try context.authenticationCode(for: $0) } == oneShot)
    }

    @Test("RFC 7515 A.1: HMAC over the example's exact JWS signing input")
    func rfc7515A1() throws {
        let jwk = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
        let signingInput = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        let key = try #require(decodeBase64URL(jwk))
        let mac = try OpenSSLDigest.hmacSHA256(key: key, data: Array(signingInput.utf8))
        #expect(Base64URL.encode(mac.bytes) == "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    }

    @Test("FIPS 180 examples: SHA-256 and SHA-1 of \"abc\" and of nothing")
    func fipsExamples() throws {
        #expect(try OpenSSLDigest.sha256(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try OpenSSLDigest.sha1(Array("abc".utf8)).hex == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(try OpenSSLDigest.sha256([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try OpenSSLDigest.sha1([]).hex == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        let sha256 = try DigestContext(.sha256)
        let sha1 = try DigestContext(.sha1)
        #expect(try [UInt8]().withUnsafeBytes { try sha256.hash($0) }.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try Array("abc".utf8).withUnsafeBytes { try sha1.hash($0) }.hex == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test("A reused digest context agrees with the one-shot call at every size up to two blocks and beyond")
    func contextMatchesOneShot() throws {
        let sha256 = try DigestContext(.sha256)
        let sha1 = try DigestContext(.sha1)
        for count in [0, 1, 55, 56, 63, 64, 65, 127, 128, 600, 4096] {
            let data = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            #expect(try data.withUnsafeBytes { try sha256.hash($0) } == OpenSSLDigest.sha256(data))
            #expect(try data.withUnsafeBytes { try sha1.hash($0) } == OpenSSLDigest.sha1(data))
        }
    }

    @Test("Constant-time equality checks the length first and every byte")
    func constantTimeEquality() {
        let a: [UInt8] = [1, 2, 3, 4]
        a.withUnsafeBytes { left in
            #expect(ConstantTime.equals(left, left))
            [1, 2, 3, 5].withUnsafeBytes { #expect(!ConstantTime.equals(left, $0)) }
            [0, 2, 3, 4].withUnsafeBytes { #expect(!ConstantTime.equals(left, $0)) }
            [1, 2, 3].withUnsafeBytes { #expect(!ConstantTime.equals(left, $0)) }
        }
    }

    @Test("Reading hex accepts only the exact lower-case spelling")
    func lowercaseHex() throws {
        let digest = try OpenSSLDigest.sha1(Array("abc".utf8))
        func read(_ text: String) -> Digest? { Array(text.utf8).withUnsafeBytes { Digest(lowercaseHex: $0) } }
        #expect(read(digest.hex) == digest)
        #expect(read(digest.hex)?.count == 20)
        #expect(read(digest.hex.uppercased()) == nil)
        #expect(read(String(digest.hex.dropLast())) == nil)
        #expect(read(String(digest.hex.dropLast(1)) + "g") == nil)
        #expect(read("") == nil)
        #expect(read(String(repeating: "ab", count: 33)) == nil)
        #expect(read(String(repeating: "ab", count: 32))?.count == 32)
    }
}
