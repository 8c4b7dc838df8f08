public import Foundation

/// Where the signature secrets come from: `DT_SIGNATURE_SECRET` (plus
/// `DT_SIGNATURE_SECRET_PREVIOUS` during rotation) or a secret file holding one secret a line,
/// as Docker and Kubernetes mount secrets.
///
/// Both sources are read the same way: whitespace around a secret (spaces, tabs, line breaks,
/// such as the newline `echo` or an editor leaves at the end) is removed, so a secret never begins
/// or ends with whitespace, and one that is only whitespace counts as empty.
public struct SecretSource: Sendable, Equatable {
    /// A file of secrets, one a line; when set, the environment's secrets are not used.
    public var secretFile: String?
    /// The environment to read `DT_SIGNATURE_SECRET` and `DT_SIGNATURE_SECRET_PREVIOUS` from.
    public var environment: [String: String]

    public init(secretFile: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.secretFile = secretFile
        self.environment = environment
    }

    /// Reads the secrets, current first.
    /// - Throws: `SecretSourceError` when there is no usable secret or the file cannot be read.
    public func load() throws(SecretSourceError) -> [SignatureSecret] {
        if let secretFile {
            let text: String
            do {
                text = try String(contentsOfFile: secretFile, encoding: .utf8)
            } catch {
                throw .unreadableFile(secretFile)
            }
            let secrets = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).compactMap(Self.secret)
            guard !secrets.isEmpty else {
                throw .emptyFile(secretFile)
            }
            return secrets
        }
        guard let current = environment["DT_SIGNATURE_SECRET"].flatMap(Self.secret) else {
            throw .missingFromEnvironment
        }
        let previous = environment["DT_SIGNATURE_SECRET_PREVIOUS"].flatMap(Self.secret)
        return [current] + (previous.map { [$0] } ?? [])
    }

    /// The secret `text` holds once surrounding whitespace is removed; nil when nothing is left.
    private static func secret(_ text: some StringProtocol) -> SignatureSecret? {
        SignatureSecret(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
