internal import FastReceiverCrypto
internal import FastReceiverSystem
internal import FastReceiverVerification
public import Foundation

/// Signs many Data Connector requests on one thread: the HMAC key is processed once and the
/// SHA-1, SHA-256 and HMAC contexts are reused, so signing an event costs its hashes and
/// little else. `send`'s load mode signs its whole pool of events through one of these.
/// Owned by one thread at a time (not `Sendable`).
public final class DTEventSigner {
    public let factory: DTEventFactory
    private let mac: HMACSHA256Context
    private let sha1: DigestContext
    private let sha256: DigestContext
    /// The last formatted timestamp and the Unix millisecond it shows: events signed within one
    /// millisecond share it.
    private var cachedTime: (milliseconds: Int64, text: String) = (-1, "")
    /// Event ids, `jti`s and sensor values need to differ, not to be unpredictable: a seeded
    /// generator saves a `getrandom` system call for each.
    private var random = SplitMix64(seed: UInt64.random(in: .min ... .max))

    /// The base64url JOSE header every DT token starts with.
    private static let headerSegment = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    /// - Throws: `CryptoError` when OpenSSL cannot set up SHA-1, SHA-256 or HMAC-SHA256.
    public init(factory: DTEventFactory) throws {
        self.factory = factory
        self.mac = try HMACSHA256Context(key: factory.secret.bytes)
        self.sha1 = try DigestContext(.sha1)
        self.sha256 = try DigestContext(.sha256)
    }

    /// Makes and signs one event of `type` at Unix time `now`.
    /// - Throws: `CryptoError` when OpenSSL fails.
    /// - Parameter eventID: nil for a fresh one.
    public func request(type: DTEventFactory.EventType, eventID: String? = nil, device: Int = 0,
                        now: Date = Date()) throws -> DTEventFactory.Request {
        let eventID = eventID ?? DTEventFactory.newEventID(using: &random)
        let milliseconds = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        if cachedTime.milliseconds != milliseconds {
            cachedTime = (milliseconds, RFC3339.string(unixMilliseconds: milliseconds))
        }
        let body = Array(DTEventFactory.body(type: type, eventID: eventID, projectID: factory.projectID, device: device,
                                             time: cachedTime.text, using: &random).utf8)
        let signature = try sign(body: body, issuedAt: milliseconds / 1000)
        return DTEventFactory.Request(eventID: eventID, type: type, body: body, signature: signature)
    }

    /// The `X-Dt-Signature` value for `body`, as DT Cloud computes it: claims `checksum` (SHA-1),
    /// `checksum_sha256`, `exp` (= `issuedAt` + 3600), `iat` and `jti`.
    /// - Parameter jti: nil for a fresh one.
    /// - Throws: `CryptoError` when OpenSSL fails.
    public func sign(body: [UInt8], issuedAt: Int64, jti: String? = nil) throws -> String {
        let jti = jti ?? DTEventFactory.newEventID(using: &random)
        let sha1Hex = try body.withUnsafeBytes { try sha1.hash($0) }.hex
        let sha256Hex = try body.withUnsafeBytes { try sha256.hash($0) }.hex
        let claims = #"{"checksum":"\#(sha1Hex)","checksum_sha256":"\#(sha256Hex)","exp":\#(issuedAt + 3600),"iat":\#(issuedAt),"jti":"\#(jti)"}"#
        var input = Self.headerSegment + "." + Base64URL.encode(claims.utf8)
        let code = try input.withUTF8 { try mac.authenticationCode(for: UnsafeRawBufferPointer($0)) }
        input += "." + code.withUnsafeBytes { Base64URL.encode($0) }
        return input
    }
}

/// Steele, Lea and Flood's SplitMix64: a fast generator whose outputs differ for 2^64 calls.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
