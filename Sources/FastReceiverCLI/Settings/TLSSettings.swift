internal import ArgumentParser
internal import FastReceiver

/// Where HTTPS takes its certificate and key from: `serve` reads them to speak HTTPS, and
/// `healthcheck` to know that the server in its environment does.
struct TLSSettings: ParsableArguments {
    @Option(
        "--tls-cert", "FAST_RECEIVER_TLS_CERT", default: nil,
        help: "PEM certificate chain, leaf first; with --tls-key the port speaks HTTPS only. Read again on SIGHUP.",
        valueName: "file")
    var certificateFile: Setting<String?>

    @Option(
        "--tls-key", "FAST_RECEIVER_TLS_KEY", default: nil,
        help: "PEM private key of the --tls-cert leaf, unencrypted. Read again on SIGHUP.", valueName: "file")
    var keyFile: Setting<String?>

    /// The certificate and key files, or nil when neither is set (plain HTTP).
    /// - Throws: `ConfigurationError` when only one of the two is set.
    func files(environment: [String: String]) throws(ConfigurationError) -> TLSFiles? {
        switch (try certificateFile.value(in: environment), try keyFile.value(in: environment)) {
        case (nil, nil):
            return nil
        case (let certificate?, let key?):
            return TLSFiles(certificateChainFile: certificate, privateKeyFile: key)
        case (_?, nil):
            throw ConfigurationError("--tls-cert (FAST_RECEIVER_TLS_CERT) needs --tls-key (FAST_RECEIVER_TLS_KEY) as well; give both for HTTPS or neither for HTTP.")
        case (nil, _?):
            throw ConfigurationError("--tls-key (FAST_RECEIVER_TLS_KEY) needs --tls-cert (FAST_RECEIVER_TLS_CERT) as well; give both for HTTPS or neither for HTTP.")
        }
    }
}
