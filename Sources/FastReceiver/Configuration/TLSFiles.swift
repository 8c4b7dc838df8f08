/// The certificate chain and private key HTTPS serves, as PEM files; read at start and again on
/// every SIGHUP.
public struct TLSFiles: Sendable, Equatable {
    /// PEM certificates, the leaf first, then its intermediates.
    public var certificateChainFile: String
    /// The PEM private key of the leaf, unencrypted (may be the chain file itself).
    public var privateKeyFile: String

    public init(certificateChainFile: String, privateKeyFile: String) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
    }
}
