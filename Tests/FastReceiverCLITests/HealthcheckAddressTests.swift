import FastReceiver
import Testing

@testable import FastReceiverCLI

/// The URL `healthcheck` asks by default: serve's own `--host` and `--port` settings, read from
/// the same environment.
@Suite struct HealthcheckAddressTests {
    @Test(
        "The default URL is where serve listens in the same environment",
        arguments: [
            ([:], "http://127.0.0.1:8080/healthz"),
            (["PORT": "9001"], "http://127.0.0.1:9001/healthz"),
            (["PORT": "", "HOST": ""], "http://127.0.0.1:8080/healthz"),
            (["HOST": "0.0.0.0", "PORT": "80"], "http://127.0.0.1:80/healthz"),
            (["HOST": "::"], "http://127.0.0.1:8080/healthz"),
            (["HOST": "10.1.2.3"], "http://10.1.2.3:8080/healthz"),
            (["HOST": "::1", "PORT": "9001"], "http://[::1]:9001/healthz"),
        ] as [([String: String], String)]
    )
    func defaultURL(environment: [String: String], url: String) throws {
        #expect(try HealthcheckCommand.defaultURL(environment: environment) == url)
    }

    @Test("A PORT serve would refuse is refused with serve's sentence")
    func badPort() {
        #expect(throws: ConfigurationError("PORT must be a whole number for --port; got http.")) {
            try HealthcheckCommand.defaultURL(environment: ["PORT": "http"])
        }
    }
}
