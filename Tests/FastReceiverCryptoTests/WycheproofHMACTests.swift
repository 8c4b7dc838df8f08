import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiverCrypto

/// Every case of Wycheproof's HMAC-SHA1 and HMAC-SHA256 files. Where a group's `tagSize` is
/// shorter than the digest, the expected tag is the MAC truncated to `tagSize / 8` bytes.
@Suite struct WycheproofHMACTests {
    struct Case: Sendable {
        let id: Int
        let key: [UInt8]
        let message: [UInt8]
        let tag: [UInt8]
        let isValid: Bool
    }

    static func cases(_ file: String) throws -> [Case] {
        let root = try Fixtures.json("wycheproof/\(file)")
        let groups = try #require(root["testGroups"] as? [[String: Any]])
        return try groups.flatMap { group in
            let tagBytes = try #require(group["tagSize"] as? Int) / 8
            let tests = try #require(group["tests"] as? [[String: Any]])
            return try tests.map { test in
                let tag = [UInt8](hex: try #require(test["tag"] as? String))
                // A tag of a different length than the group's can never be valid.
                let result = try #require(test["result"] as? String)
                return Case(id: try #require(test["tcId"] as? Int),
                            key: [UInt8](hex: try #require(test["key"] as? String)),
                            message: [UInt8](hex: try #require(test["msg"] as? String)),
                            tag: tag.count == tagBytes ? tag : tag + [0xFF],
                            isValid: result == "valid")
            }
        }
    }

    @Test("Wycheproof HMAC-SHA256: all cases")
    func hmacSHA256() throws {
        let cases = try Self.cases("hmac_sha256_test.json")
        #expect(cases.count == 174)
        for test in cases {
            let mac = try OpenSSLDigest.hmacSHA256(key: test.key, data: test.message)
            let context = try HMACSHA256Context(key: test.key)
            let reused = try test.message.withUnsafeBytes { try context.authenticationCode(for: $0) }
            #expect(reused == mac, "case \(test.id)")
            #expect(Self.matches(mac, test.tag) == test.isValid, "case \(test.id)")
        }
    }

    @Test("Wycheproof HMAC-SHA1: all cases, through OpenSSL's SHA-1 HMAC construction")
    func hmacSHA1() throws {
        let cases = try Self.cases("hmac_sha1_test.json")
        #expect(cases.count == 170)
        for test in cases {
            let mac = try Self.hmacSHA1(key: test.key, message: test.message)
            #expect(Self.matches(mac, test.tag) == test.isValid, "case \(test.id)")
        }
    }

    /// Compares a (possibly truncated) expected tag with the MAC's prefix, in constant time.
    static func matches(_ mac: [UInt8], _ tag: [UInt8]) -> Bool {
        guard tag.count <= mac.count else { return false }
        return Array(mac.prefix(tag.count)).withUnsafeBytes { a in tag.withUnsafeBytes { ConstantTime.equals(a, $0) } }
    }

    static func matches(_ mac: Digest, _ tag: [UInt8]) -> Bool { matches(mac.bytes, tag) }

    /// HMAC-SHA1 (RFC 2104) over OpenSSL's SHA-1: FastReceiver needs SHA-1 only for DT's legacy
    /// `checksum`, so this exercises that binding against the SHA-1 vectors.
    static func hmacSHA1(key: [UInt8], message: [UInt8]) throws -> [UInt8] {
        var block = key.count > 64 ? try OpenSSLDigest.sha1(key).bytes : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        let inner = try OpenSSLDigest.sha1(block.map { $0 ^ 0x36 } + message)
        return try OpenSSLDigest.sha1(block.map { $0 ^ 0x5c } + inner.bytes).bytes
    }
}
