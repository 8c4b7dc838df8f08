internal import ArgumentParser
internal import FastReceiver
internal import FastReceiverVerification

/// How signatures are checked: `serve` and `verify` read the secrets and the tolerated clock skew
/// the same way.
struct SignatureSettings: ParsableArguments {
    @Option(
        "--secret-file", "DT_SIGNATURE_SECRET_FILE", default: nil,
        help: "File of secrets, one a line, current first; instead of DT_SIGNATURE_SECRET.", valueName: "file")
    var secretFile: Setting<String?>

    @Option(
        "--clock-skew", "FAST_RECEIVER_CLOCK_SKEW", default: defaults.clockSkew, rule: .range(0...3600),
        help: "Seconds of clock skew tolerated on exp and iat.", valueName: "seconds")
    var clockSkew: Setting<Int64>

    /// The secrets, current first, from the secret file if one is set, else from the environment;
    /// and where they came from, to read them again.
    /// - Throws: `ConfigurationError` for a bad value, or saying why there is no usable secret.
    func secrets(environment: [String: String]) throws(ConfigurationError) -> (source: SecretSource, secrets: [SignatureSecret]) {
        let source = SecretSource(secretFile: try secretFile.value(in: environment), environment: environment)
        do {
            return (source, try source.load())
        } catch {
            throw ConfigurationError(error.description)
        }
    }
}
