import FastReceiverTestSupport
import Foundation
import Testing

/// `fast-receiver serve` run as an operator runs it: a bad value stops it before it starts.
@Suite struct ServeCommandTests {
    @Test(
        "A bad value, from a flag or a variable, is refused before start with one sentence on stderr and exit 2",
        arguments: [
            (["--max-body-bytes", "12"], [:], "--max-body-bytes must be between 1024 and 67108864; got 12."),
            ([], ["FAST_RECEIVER_MAX_BODY_BYTES": "abc"], "FAST_RECEIVER_MAX_BODY_BYTES must be a whole number for --max-body-bytes; got abc."),
            (["--log-level", "loud"], [:], "--log-level must be one of trace, debug, info, notice, warning, error, critical; got loud."),
        ] as [([String], [String: String], String)]
    )
    func refusesBadValue(arguments: [String], variables: [String: String], sentence: String) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["DT_SIGNATURE_SECRET"] = "serve-command-secret"
        environment["DATA_DIR"] = NSTemporaryDirectory() + "fast-receiver-never-created-\(UUID().uuidString)"
        environment.merge(variables) { $1 }
        let child = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0"] + arguments, environment: environment)
        #expect(child.waitForExit(timeout: 30) == 2)
        #expect(child.standardError == "fast-receiver: \(sentence)\n")
        #expect(!FileManager.default.fileExists(atPath: environment["DATA_DIR"] ?? ""), "serve started before refusing")
    }
}
