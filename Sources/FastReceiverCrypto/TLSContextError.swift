internal import COpenSSL

/// A certificate chain or private key that cannot serve HTTPS. The description is one sentence
/// for the operator: it names the file and OpenSSL's reason, never key material.
public struct TLSContextError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for callers and tests that decide by kind rather than by text.
    public enum Kind: Sendable, Equatable {
        /// The file is missing, unreadable, or larger than any chain or key file could be.
        case unreadable
        /// The file holds no PEM block of the wanted kind (an empty chain, a DER file, a typo'd path).
        case notPEM
        /// A PEM block of the wanted kind that OpenSSL cannot decode: corrupt, or an encrypted key.
        case undecodable
        /// Decoded, but OpenSSL refuses to use it (for example a key too weak for security level 2).
        case refused
        /// The private key does not belong to the leaf certificate.
        case keyMismatch
        /// OpenSSL could not create the context itself.
        case openSSL
    }

    /// Which of the two files a message is about.
    enum File: String {
        case certificate = "certificate file"
        case privateKey = "private key file"

        /// What the file should hold, for messages.
        var content: String { self == .certificate ? "PEM certificate" : "PEM private key" }
    }

    public let kind: Kind
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// A failed load of `file` at `path` (an `FR_TLS_LOAD_*` code other than OK and key
    /// mismatch, which names both files), with OpenSSL's reasons drained from the error queue.
    static func loading(_ file: File, path: String, code: Int32) -> TLSContextError {
        let reasons = CryptoError("PEM_read").reasons
        let because = reasons.isEmpty ? "" : ": \(reasons.joined(separator: "; "))"
        switch Int(code) {
        case FR_TLS_LOAD_NO_PEM:
            return TLSContextError(.notPEM, "The TLS \(file.rawValue) \(path) holds no \(file.content).")
        case FR_TLS_LOAD_UNDECODABLE:
            return TLSContextError(.undecodable, "The TLS \(file.rawValue) \(path) holds a \(file.content) that OpenSSL cannot decode\(because).")
        case FR_TLS_LOAD_ENCRYPTED:
            return TLSContextError(.undecodable, "The TLS \(file.rawValue) \(path) holds an encrypted key; give FastReceiver the key unencrypted, readable only by its user.")
        default:
            return TLSContextError(.refused, "OpenSSL refuses the \(file.content) in \(path)\(because).")
        }
    }
}
