internal import COpenSSL

/// The client side's OpenSSL context, for `send` and `healthcheck` over `https://`: TLS 1.2 and
/// 1.3, ALPN `http/1.1`, and the server's certificate verified (chain and name) unless told not to.
public final class TLSClientContext: @unchecked Sendable {
    // @unchecked Sendable: nothing changes after `init`, and OpenSSL's SSL_CTX may be shared by
    // connections on any thread.

    /// The `fr_tls_client` bundle: SSL_CTX and socket BIO method.
    let client: UnsafeMutableRawPointer

    /// - Parameters:
    ///   - caFile: PEM certificates to trust; nil trusts the system's store.
    ///   - verifiesPeer: false accepts any certificate for any name (`--insecure`).
    /// - Throws: `TLSContextError` when the CA file cannot be loaded or OpenSSL fails.
    public init(caFile: String? = nil, verifiesPeer: Bool = true) throws(TLSContextError) {
        var client: UnsafeMutableRawPointer?
        let result = fr_tls_client_new(caFile, verifiesPeer ? 1 : 0, &client)
        guard Int(result) == FR_TLS_CLIENT_OK, let client else {
            let reasons = CryptoError("SSL_CTX_load_verify_file").reasons
            let because = reasons.isEmpty ? "" : ": \(reasons.joined(separator: "; "))"
            if Int(result) == FR_TLS_CLIENT_BAD_CA, let caFile {
                throw TLSContextError(.notPEM, "The CA file \(caFile) holds no PEM certificate OpenSSL can load\(because).")
            }
            throw TLSContextError(.openSSL, "OpenSSL cannot create a TLS client context\(because).")
        }
        self.client = client
    }

    deinit {
        fr_tls_client_free(client)
    }
}
