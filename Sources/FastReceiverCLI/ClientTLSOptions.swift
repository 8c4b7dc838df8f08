internal import ArgumentParser
internal import FastReceiverCrypto

/// Whom `send` and `healthcheck` trust over `https://`.
struct ClientTLSOptions: ParsableArguments {
    @Option(help: ArgumentHelp("For https: PEM certificates to trust instead of the system's store.", valueName: "file"))
    var caFile: String?

    @Flag(help: "For https: accept any certificate, for any name (testing only).")
    var insecure = false

    /// The client TLS context these options describe.
    /// - Throws: `TLSContextError` when the CA file cannot be loaded.
    func context() throws(TLSContextError) -> TLSClientContext {
        try TLSClientContext(caFile: caFile, verifiesPeer: !insecure)
    }
}
