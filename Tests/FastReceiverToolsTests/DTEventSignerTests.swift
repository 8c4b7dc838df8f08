import Foundation
import Testing

@testable import FastReceiverSystem
@testable import FastReceiverTools
@testable import FastReceiverVerification

@Suite struct DTEventSignerTests {
    static let secret = "signer-test-secret"

    static func verify(_ request: DTEventFactory.Request, secret: String = secret) throws -> VerificationOutcome {
        let verifier = try SignatureVerifier(secrets: [SignatureSecret(secret)].compactMap { $0 })
        return Array(request.signature.utf8).withUnsafeBytes { token in
            request.body.withUnsafeBytes { verifier.verify(.single(token), body: $0) }
        }
    }

    @Test("Every event type a reused signer makes verifies, and each has its own eventId")
    func everyTypeVerifies() throws {
        let signer = try DTEventSigner(factory: DTEventFactory(secret: SignatureSecret(Self.secret)!))
        var eventIDs: Set<String> = []
        for _ in 0..<3 {
            for type in DTEventFactory.EventType.allCases {
                let request = try signer.request(type: type, device: 7)
                #expect(try Self.verify(request) == .verified, "\(type)")
                #expect(try Self.verify(request, secret: "another-secret") != .verified)
                eventIDs.insert(request.eventID)
                let event = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
                let inner = try #require(event["event"] as? [String: Any])
                #expect(inner["eventId"] as? String == request.eventID)
                #expect(inner["eventType"] as? String == type.rawValue)
            }
        }
        #expect(eventIDs.count == 3 * DTEventFactory.EventType.allCases.count)
    }

    @Test("Timestamps are RFC 3339 UTC with milliseconds, as DT writes them")
    func timestampFormat() {
        #expect(RFC3339.string(unixMilliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.string(unixMilliseconds: 1_716_978_843_007) == "2024-05-29T10:34:03.007Z")
    }

    @Test("Event ids are 20 base32hex characters")
    func eventIDShape() {
        for _ in 0..<100 {
            let id = DTEventFactory.newEventID()
            #expect(id.utf8.count == 20)
            #expect(id.allSatisfy { "0123456789abcdefghijklmnopqrstuv".contains($0) })
        }
    }
}
