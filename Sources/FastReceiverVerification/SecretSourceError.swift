/// Why no signature secret could be read. The description is one sentence for the operator; it
/// names the file or variable to fix, never a secret.
public enum SecretSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The secret file cannot be read as UTF-8 text.
    case unreadableFile(String)
    /// The secret file holds nothing but whitespace.
    case emptyFile(String)
    /// `DT_SIGNATURE_SECRET` is unset or blank, and no secret file was given.
    case missingFromEnvironment

    public var description: String {
        switch self {
        case .unreadableFile(let path):
            "The secret file \(path) cannot be read as UTF-8 text; check its path and permissions."
        case .emptyFile(let path):
            "The secret file \(path) holds no secret; put the Data Connector's signature secret on its first line."
        case .missingFromEnvironment:
            "DT_SIGNATURE_SECRET is missing or empty (whitespace alone counts as empty); set it to the Data Connector's signature secret, or pass --secret-file."
        }
    }
}
