import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@testable import FastReceiverStorage
@testable import FastReceiverSystem

/// `fast-receiver healthcheck`, run as the container's health check runs it: the built binary
/// against a real server.
@Suite(.serialized) struct HealthcheckTests {
    private func healthcheck(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (status: Int32?, standardError: String) {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "HOST")
        environment.merge(extra) { $1 }
        let child = try ChildProcess(arguments: ["healthcheck"] + arguments, environment: environment)
        // Once it has exited, everything it wrote is in the file.
        let status = child.waitForExit(timeout: 30)
        return (status, child.standardError)
    }

    /// A socket bound to a free port on 127.0.0.1, listening if asked; closing it frees the port.
    private func boundSocket(listening: Bool) throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let isReady = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && (!listening || listen(descriptor, 4) == 0)
                    && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard isReady else {
            close(descriptor)
            throw SystemError("bind")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test("Exits 0 against a running server, by --url and by the PORT default")
    func healthyServer() throws {
        let server = try TestServer()
        let byURL = try healthcheck(["--url", "http://127.0.0.1:\(server.port)/healthz"])
        #expect(byURL.status == 0, "\(byURL.standardError)")
        #expect(byURL.standardError.isEmpty)
        let byPort = try healthcheck([], environment: ["PORT": "\(server.port)"])
        #expect(byPort.status == 0, "\(byPort.standardError)")
    }

    @Test("Exits 1 with one sentence when nothing listens on the port")
    func stoppedServer() throws {
        let (descriptor, port) = try boundSocket(listening: false)
        close(descriptor)
        let result = try healthcheck(["--url", "http://127.0.0.1:\(port)/healthz", "--timeout", "2"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("nothing is listening at http://127.0.0.1:\(port)/healthz"))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }

    @Test("Exits 1 when the server answers other than 2xx")
    func notFound() throws {
        let server = try TestServer()
        let missing = try healthcheck(["--url", "http://127.0.0.1:\(server.port)/no-such-path"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("answered 404"))

        // Storage failing turns readiness to 503 while liveness stays 200.
        server.status.storage.failed()
        defer { server.status.storage.recovered() }
        let alive = try healthcheck(["--url", "http://127.0.0.1:\(server.port)/healthz"])
        #expect(alive.status == 0, "\(alive.standardError)")
        let notReady = try healthcheck(["--url", "http://127.0.0.1:\(server.port)/readyz"])
        #expect(notReady.status == 1)
        #expect(notReady.standardError.contains("answered 503"))
    }

    @Test("Exits 1 when the server accepts but never answers within --timeout")
    func silentServer() throws {
        let (descriptor, port) = try boundSocket(listening: true)
        defer { close(descriptor) }
        let result = try healthcheck(["--url", "http://127.0.0.1:\(port)/healthz", "--timeout", "0.5"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("no answer from http://127.0.0.1:\(port)/healthz within 0.5 seconds"))
    }
}
