import Crypto
import FastReceiverVerification

/// A Data Connector request signed the way DT Cloud signs it: a 600-byte temperature event and
/// an HS256 JWT whose claims carry the body's SHA-1 and SHA-256, MACed with the secret's UTF-8
/// bytes and encoded as unpadded base64url.
///
/// Signed with swift-crypto, so the OpenSSL-based verifier is checked against an independent
/// implementation before it is timed.
struct SignedDTRequest {
    /// When the token was issued, in Unix seconds; it expires an hour later.
    static let issuedAt: Int64 = 1_716_978_843

    /// A temperature event as DT delivers it, with two samples and two labels: 600 bytes.
    static let temperatureEvent = """
        {"event":{"eventId":"cpa7q0k6nhjg00e5gh10",\
        "targetName":"projects/c14u9p094l47cdv1o3pg/devices/bjeh8pjq0ebg008uoa0g",\
        "eventType":"temperature","data":{"temperature":{"value":4.65,\
        "updateTime":"2024-05-29T10:34:03.521000Z","samples":[\
        {"value":4.65,"sampleTime":"2024-05-29T10:34:03.521000Z"},\
        {"value":4.7,"sampleTime":"2024-05-29T10:33:03.518000Z"}],"isBackfilled":false}},\
        "timestamp":"2024-05-29T10:34:03.521000Z"},\
        "labels":{"name":"Cold room 2 NW","site":"Bergen"},\
        "metadata":{"deviceId":"bjeh8pjq0ebg008uoa0g","projectId":"c14u9p094l47cdv1o3pg",\
        "deviceType":"temperature","productNumber":"102058"}}
        """

    /// The body exactly as sent.
    let body: [UInt8]
    /// The `X-Dt-Signature` value.
    let token: [UInt8]

    init(secret: String) {
        body = Array(Self.temperatureEvent.utf8)
        let header = #"{"alg":"HS256","typ":"JWT"}"#
        let claims = """
            {"checksum":"\(Self.hex(Insecure.SHA1.hash(data: body)))",\
            "checksum_sha256":"\(Self.hex(SHA256.hash(data: body)))",\
            "exp":\(Self.issuedAt + 3600),"iat":\(Self.issuedAt),"jti":"cpa7q0s6nhjg00e5gh1g"}
            """
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        let signature = HMAC<SHA256>.authenticationCode(
            for: Array(signingInput.utf8),
            using: SymmetricKey(data: Array(secret.utf8))
        )
        token = Array((signingInput + "." + Base64URL.encode(signature)).utf8)
    }

    /// Lower-case hex, the spelling of DT's checksum claims.
    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 0x10 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
