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
            (["FAST_RECEIVER_TLS_CERT": "/c.pem", "FAST_RECEIVER_TLS_KEY": "/k.pem", "PORT": "8443"], "https://127.0.0.1:8443/healthz"),
            (["FAST_RECEIVER_TLS_CERT": "", "FAST_RECEIVER_TLS_KEY": ""], "http://127.0.0.1:8080/healthz"),
        ] as [([String: String], String)]
    )
    func defaultURL(environment: [String: String], url: String) throws {
        let found = try HealthcheckCommand.defaultURL(environment: environment)
        #expect(found.url == url)
        #expect(found.isTLS == url.hasPrefix("https:"))
    }

    @Test("A certificate without a key is refused with serve's sentence")
    func halfTLSPair() {
        #expect(throws: ConfigurationError.self) {
            try HealthcheckCommand.defaultURL(environment: ["FAST_RECEIVER_TLS_CERT": "/c.pem"])
        }
    }

    @Test("A PORT serve would refuse is refused with serve's sentence")
    func badPort() {
        #expect(throws: ConfigurationError("PORT must be a whole number for --port; got http.")) {
            try HealthcheckCommand.defaultURL(environment: ["PORT": "http"])
        }
    }
}
