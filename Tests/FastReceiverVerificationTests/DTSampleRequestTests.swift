import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiverVerification

@Suite struct DTSampleRequestTests {
    static let requests = (try? Fixtures.dtRequests()) ?? []

    static func verify(_ request: Fixtures.DTRequest, body: [UInt8]? = nil, at now: Int64, secrets: [String] = [Fixtures.dtSecret]) throws -> VerificationOutcome {
        let verifier = try SignatureVerifier(secrets: secrets.compactMap(SignatureSecret.init))
        return Array(request.signature.utf8).withUnsafeBytes { token in
            (body ?? request.body).withUnsafeBytes { verifier.verify(.single(token), body: $0, now: now) }
        }
    }

    @Test("The fixture holds DT's four signed requests")
    func fixtureIsComplete() {
        #expect(Self.requests.count == 4)
    }

    @Test("Each of DT's real requests verifies inside [iat, exp + skew]", arguments: requests)
    func verifies(_ request: Fixtures.DTRequest) throws {
        #expect(try Self.verify(request, at: request.iat) == .verified)
        #expect(try Self.verify(request, at: request.exp) == .verified)
        #expect(try Self.verify(request, at: request.exp + 60) == .verified)
        #expect(try Self.verify(request, at: request.iat - 60) == .verified)
    }

    @Test("Each one fails once expired past the skew", arguments: requests)
    func expires(_ request: Fixtures.DTRequest) throws {
        #expect(try Self.verify(request, at: request.exp + 61) == .rejected(.expired(exp: request.exp, now: request.exp + 61, skew: 60)))
        #expect(try Self.verify(request, at: request.iat - 61) == .rejected(.issuedInFuture(iat: request.iat, now: request.iat - 61, skew: 60)))
    }

    @Test("Each one fails with any single body byte changed", arguments: requests)
    func bodyTampering(_ request: Fixtures.DTRequest) throws {
        for index in stride(from: 0, to: request.body.count, by: 7) {
            var body = request.body
            body[index] ^= 0x01
            guard case .rejected(.checksumMismatch) = try Self.verify(request, body: body, at: request.iat) else {
                Issue.record("byte \(index) changed and the request still verified")
                return
            }
        }
    }

    @Test("Rotation: any configured secret verifies; without DT's secret nothing does", arguments: requests)
    func rotation(_ request: Fixtures.DTRequest) throws {
        #expect(try Self.verify(request, at: request.iat, secrets: ["new-secret", Fixtures.dtSecret]) == .verified)
        #expect(try Self.verify(request, at: request.iat, secrets: [Fixtures.dtSecret, "old-secret"]) == .verified)
        #expect(try Self.verify(request, at: request.iat, secrets: ["test-secreT"]) == .rejected(.signatureMismatch))
    }

    @Test("Samples with only the SHA-1 checksum and with both checksums are both present")
    func checksumGenerations() {
        let withSHA256 = Self.requests.filter { String(decoding: decodeBase64URL(String($0.signature.split(separator: ".")[1])) ?? [], as: UTF8.self).contains("checksum_sha256") }
        #expect(withSHA256.count == 2)
    }
}
