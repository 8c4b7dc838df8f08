internal import ArgumentParser
internal import FastReceiverSystem
internal import FastReceiverTools
internal import Foundation

/// `fast-receiver healthcheck`: asks a running server whether it is alive, for container
/// health checks on images that carry no curl.
///
/// Exits 0 on a 2xx and 1 on anything else, because a Docker `HEALTHCHECK` reads exactly
/// those two codes (2 is reserved there).
struct HealthcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Check that a receiver answers its health endpoint.",
        discussion: """
            GETs the URL and exits 0 on a 2xx answer. Otherwise prints one sentence on stderr \
            and exits 1: nothing listening, no answer within the timeout, or any other status. \
            The default URL is http://127.0.0.1:$PORT/healthz (PORT defaults to 8080; a HOST \
            other than 0.0.0.0 or :: replaces 127.0.0.1), which is what serve listens on in \
            the same environment.
            """
    )

    @Option(help: ArgumentHelp("What to GET. Default http://127.0.0.1:${PORT:-8080}/healthz.", valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp("Seconds to wait for the connection, and then for the answer.", valueName: "seconds"))
    var timeout: Double = 5

    func validate() throws {
        guard timeout.isFinite, timeout > 0, timeout <= 3600 else {
            throw ValidationError("--timeout must be more than 0 and at most 3600 seconds.")
        }
    }

    func run() throws {
        let problem: String?
        do {
            let target = try url ?? Self.defaultURL(environment: ProcessInfo.processInfo.environment)
            problem = Self.check(url: target, timeout: timeout)
        } catch {
            problem = "\(error)"
        }
        if let problem {
            FileHandle.standardError.write(Data("fast-receiver healthcheck: \(problem)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The health endpoint of a `serve` started with the same environment: its `--host` and
    /// `--port` settings, read as `serve` reads them.
    /// - Throws: `ConfigurationError` when `HOST` or `PORT` is one `serve` would refuse.
    static func defaultURL(environment: [String: String]) throws -> String {
        // Serve's own declarations, with nothing given on the command line.
        let address = try ListenAddress.parse([])
        let port = try address.port.value(in: environment)
        var host = try address.host.value(in: environment)
        if host == "0.0.0.0" || host == "::" {
            host = "127.0.0.1"
        } else if host.contains(":") {
            host = "[\(host)]"
        }
        return "http://\(host):\(port)/healthz"
    }

    /// GETs `url` once.
    /// - Returns: nil on a 2xx answer, else one sentence saying what went wrong.
    static func check(url: String, timeout: Double) -> String? {
        let connection: HTTPClientConnection
        do {
            connection = HTTPClientConnection(endpoint: try HTTPClientConnection.Endpoint(url: url))
        } catch {
            return error.description
        }
        defer { connection.disconnect() }
        let response: HTTPClientConnection.Response
        do {
            try connection.connect(timeout: timeout)
            response = try connection.request(method: "GET", headers: ["Connection: close"])
        } catch let error as SystemError {
            switch error.errno {
            case ECONNREFUSED:
                return "nothing is listening at \(url) (connection refused)."
            case EAGAIN, EINPROGRESS, ETIMEDOUT:
                return "no answer from \(url) within \(Self.seconds(timeout)) seconds."
            default:
                return "GET \(url) failed: \(error)."
            }
        } catch {
            return "GET \(url) failed: \(error)"
        }
        guard (200..<300).contains(response.status) else {
            // The first line of the answer, which for FastReceiver says why (e.g. "not ready").
            let reason = response.bodyText.split(whereSeparator: \.isNewline).first.map { ": \($0.prefix(200))" } ?? ""
            return "GET \(url) answered \(response.status)\(reason)."
        }
        return nil
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
