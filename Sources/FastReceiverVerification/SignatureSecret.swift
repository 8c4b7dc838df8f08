/// One shared secret that DT Cloud signs with: the UTF-8 bytes of the Data Connector's
/// "signature secret". Never printed: `description` is redacted.
public struct SignatureSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The key bytes handed to HMAC.
    package let bytes: [UInt8]

    /// nil for an empty secret, which would make every signature trivially forgeable.
    public init?(_ text: some StringProtocol) {
        guard !text.isEmpty else { return nil }
        bytes = Array(text.utf8)
    }

    /// A secret from raw key bytes (e.g. a JWK's `k`); nil when empty.
    init?(bytes: [UInt8]) {
        guard !bytes.isEmpty else { return nil }
        self.bytes = bytes
    }

    public var description: String { "SignatureSecret(redacted)" }
    public var debugDescription: String { description }
}
