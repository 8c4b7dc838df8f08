import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@testable import FastReceiverTools
@testable import FastReceiverVerification

@Suite(.serialized) struct OperationsTests {
    static func post(_ secret: String, port: Int) throws -> Int {
        let request = try DTEventFactory(secret: SignatureSecret(secret)!).request(type: .touch)
        let connection = HTTPClientConnection(endpoint: try .init(url: "http://127.0.0.1:\(port)/"))
        return try connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"]).status
    }

    @Test("Rotation through the secret file: the previous secret verifies until it is removed and SIGHUP is sent")
    func rotationWithSIGHUP() throws {
        let file = NSTemporaryDirectory() + "fast-receiver-secrets-\(UUID().uuidString)"
        defer { unlink(file) }
        try "new-secret-value\nold-secret-value\n".write(toFile: file, atomically: true, encoding: .utf8)
        var environment = ShutdownTests.environment()
        environment["DT_SIGNATURE_SECRET"] = nil
        let child = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--secret-file", file], environment: environment)
        let port = try child.waitForPort()
        #expect(try Self.post("new-secret-value", port: port) == 200)
        #expect(try Self.post("old-secret-value", port: port) == 200)
        #expect(try Self.post("unknown-secret-value", port: port) == 401)

        try "new-secret-value\n".write(toFile: file, atomically: true, encoding: .utf8)
        child.signal(SIGHUP)
        #expect(waitUntil { child.standardError.contains("secrets reloaded") })
        #expect(try Self.post("old-secret-value", port: port) == 401)
        #expect(try Self.post("new-secret-value", port: port) == 200)

        // A file emptied by mistake is refused and the secrets in use stay.
        try "\n".write(toFile: file, atomically: true, encoding: .utf8)
        child.signal(SIGHUP)
        #expect(waitUntil { child.standardError.contains("secrets not reloaded") })
        #expect(try Self.post("new-secret-value", port: port) == 200)
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 30) == 0)
    }

    @Test("DT_SIGNATURE_SECRET_PREVIOUS is accepted alongside DT_SIGNATURE_SECRET")
    func previousSecret() throws {
        let child = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0"],
                                     environment: ShutdownTests.environment(["DT_SIGNATURE_SECRET_PREVIOUS": "the-old-one"]))
        let port = try child.waitForPort()
        #expect(try Self.post(TestServer.secret, port: port) == 200)
        #expect(try Self.post("the-old-one", port: port) == 200)
        #expect(try Self.post("neither", port: port) == 401)
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 30) == 0)
    }

    @Test("The secret never appears in logs, metrics or --help", arguments: ["text", "json"])
    func secretNeverPrinted(format: String) throws {
        let secret = "Sup3r-S3cret-Value-\(UUID().uuidString)"
        let child = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--log-format", format, "--log-level", "trace"],
                                     environment: ShutdownTests.environment(["DT_SIGNATURE_SECRET": secret, "DT_SIGNATURE_SECRET_PREVIOUS": secret + "-old"]))
        let port = try child.waitForPort()
        #expect(try Self.post(secret, port: port) == 200)
        #expect(try Self.post("wrong", port: port) == 401)
        let metrics = try HTTPClientConnection(endpoint: .init(url: "http://127.0.0.1:\(port)/metrics")).request(method: "GET").bodyText
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 30) == 0)
        let help = try ChildProcess(arguments: ["serve", "--help"], environment: ShutdownTests.environment(["DT_SIGNATURE_SECRET": secret]))
        #expect(help.waitForExit(timeout: 30) == 0)
        #expect(child.standardError.contains("redacted"))
        #expect(child.standardError.contains("refused request"))
        for text in [child.standardError, child.standardOutput, metrics, help.standardOutput, help.standardError] {
            #expect(!text.contains(secret))
            #expect(!text.contains("Sup3r"))
        }
    }

    @Test("JSON logs are one object a line")
    func jsonLines() throws {
        let child = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--log-format", "json"], environment: ShutdownTests.environment())
        let port = try child.waitForPort()
        #expect(try Self.post("wrong", port: port) == 401)
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 30) == 0)
        let lines = child.standardError.split(separator: "\n")
        #expect(lines.count >= 4)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            #expect(object["level"] is String)
            #expect(object["message"] is String)
        }
    }

    @Test("journal cat --follow prints events as they are stored, each once")
    func follow() throws {
        let server = try TestServer()
        #expect(try server.postValidEvent() == 200)
        let follower = try ChildProcess(arguments: ["journal", "cat", "--follow", "--data-dir", server.dataDirectory],
                                        environment: ShutdownTests.environment())
        func lines() -> [Substring] { follower.standardOutput.split(separator: "\n") }
        #expect(waitUntil { lines().count >= 1 })
        #expect(lines().count == 1)
        for _ in 0..<4 { #expect(try server.postValidEvent() == 200) }
        #expect(waitUntil { lines().count >= 5 })
        // Nothing is printed twice: an absence, so this lets half a second pass first.
        usleep(500_000)
        #expect(lines().count == 5)
        #expect(Set(lines()).count == 5)
        follower.signal(SIGTERM)
        #expect(follower.waitForExit(timeout: 30) == 0)
    }
}
