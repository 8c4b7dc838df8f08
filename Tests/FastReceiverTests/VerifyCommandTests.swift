import FastReceiverTestSupport
import Foundation
import Testing

/// `fast-receiver verify`, run as a user runs it, on DT's own signed sample requests.
@Suite(.serialized) struct VerifyCommandTests {
    static func run(_ arguments: [String], secret: String? = Fixtures.dtSecret) throws -> (status: Int32?, output: String, error: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["DT_SIGNATURE_SECRET"] = secret
        environment["DT_SIGNATURE_SECRET_PREVIOUS"] = nil
        environment["DT_SIGNATURE_SECRET_FILE"] = nil
        let child = try ChildProcess(arguments: ["verify"] + arguments, environment: environment)
        let status = child.waitForExit(timeout: 30)
        return (status, child.standardOutput, child.standardError)
    }

    static func bodyFile(_ bytes: [UInt8]) -> String {
        let path = NSTemporaryDirectory() + "fast-receiver-body-\(UUID().uuidString).json"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test("valid, exit 0, for each of DT's requests inside its lifetime", arguments: (try? Fixtures.dtRequests()) ?? [])
    func valid(_ request: Fixtures.DTRequest) throws {
        let body = Self.bodyFile(request.body)
        defer { unlink(body) }
        let result = try Self.run(["--body", body, "--signature", request.signature, "--at", "\(request.iat + 10)"])
        #expect(result.status == 0)
        #expect(result.output == "valid\n")
    }

    @Test("invalid with the exact reason, exit 1; unreadable input, exit 2")
    func invalid() throws {
        let request = try #require(try Fixtures.dtRequests().last)
        var changed = request.body
        changed[changed.count - 3] = UInt8(ascii: "X")
        let body = Self.bodyFile(changed)
        defer { unlink(body) }
        let tampered = try Self.run(["--body", body, "--signature", request.signature, "--at", "\(request.iat + 10)"])
        #expect(tampered.status == 1)
        #expect(tampered.output.hasPrefix("invalid: ") && tampered.output.contains("does not match the body"))

        let original = Self.bodyFile(request.body)
        defer { unlink(original) }
        let expired = try Self.run(["--body", original, "--signature", "X-Dt-Signature: \(request.signature)"])
        #expect(expired.status == 1)
        #expect(expired.output.contains("the token expired at \(request.exp)"))

        let wrongSecret = try Self.run(["--body", original, "--signature", request.signature, "--at", "\(request.iat)"], secret: "nope")
        #expect(wrongSecret.status == 1)
        #expect(wrongSecret.output.contains("does not match any configured secret"))

        let noSecret = try Self.run(["--body", original, "--signature", request.signature], secret: nil)
        #expect(noSecret.status == 2)
        #expect(noSecret.error.contains("DT_SIGNATURE_SECRET is missing or empty"))

        let noFile = try Self.run(["--body", "/nonexistent/body.json", "--signature", request.signature])
        #expect(noFile.status == 2)
        #expect(noFile.error.contains("cannot be read"))
    }
}
