internal import COpenSSL

/// An OpenSSL call failed. Carries the call's name and OpenSSL's own reasons, drained from the
/// thread's error queue so that a later call does not report a stale error.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The OpenSSL operation that failed, e.g. "EVP_MAC_init".
    public let operation: String
    /// OpenSSL's error strings, oldest first; empty when the queue held nothing.
    public let reasons: [String]

    /// Captures the failure of `operation` and empties this thread's OpenSSL error queue.
    init(_ operation: String) {
        self.operation = operation
        var reasons: [String] = []
        var text = [CChar](repeating: 0, count: 256)
        while true {
            let code = text.withUnsafeMutableBufferPointer { fr_error_pop($0.baseAddress, $0.count) }
            if code == 0 { break }
            reasons.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.reasons = reasons
    }

    public var description: String {
        reasons.isEmpty
            ? "OpenSSL \(operation) failed."
            : "OpenSSL \(operation) failed: \(reasons.joined(separator: "; "))."
    }
}
