/// The inputs of the hash and MAC benchmarks.
enum Payload {
    /// Message sizes in bytes: 64, where the per-call cost dominates; 512, about a token's
    /// signing input or a small event body; 4096, a body with many samples.
    static let sizes = [64, 512, 4096]

    /// `count` bytes of fixed, non-repeating-looking content (the hash cost does not depend on it).
    static func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
    }

    /// The HMAC key: a Data Connector signature secret, used as its UTF-8 bytes as DT does.
    static let secret = "dt-data-connector-signature-secret-0123"
}
