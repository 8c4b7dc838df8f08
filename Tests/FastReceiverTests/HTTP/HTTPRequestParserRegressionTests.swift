import Foundation
import Testing
@testable import FastReceiver

/// Replays every input the fuzzer ever failed on, and its seeds, through the fuzzer's own checks,
/// so that `swift test` catches a regression without a fuzzing build.
@Suite struct HTTPRequestParserRegressionTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // HTTP
        .deletingLastPathComponent()  // FastReceiverTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static func files(in relativePath: String) throws -> [URL] {
        let directory = packageRoot.appendingPathComponent(relativePath)
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test func replaysFuzzerRegressions() throws {
        let inputs = try Self.files(in: "Tests/FastReceiverTests/Fixtures/http-regressions")
        #expect(!inputs.isEmpty)
        for input in inputs {
            let data = try Data(contentsOf: input)
            data.withUnsafeBytes { HTTPParserHarness.checkConsistency($0) }
        }
    }

    @Test func replaysFuzzerSeeds() throws {
        let seeds = try Self.files(in: "Fuzz/HTTPParserFuzzer/seeds")
        #expect(!seeds.isEmpty)
        for seed in seeds {
            let data = try Data(contentsOf: seed)
            let outcome = data.withUnsafeBytes { HTTPParserHarness.run($0) }
            #expect(outcome.error == nil, "\(seed.lastPathComponent)")
            #expect(!outcome.requests.isEmpty, "\(seed.lastPathComponent)")
            data.withUnsafeBytes { HTTPParserHarness.checkConsistency($0) }
        }
    }
}
