import FastReceiverTestSupport
import Foundation
import Testing

/// Replays every input the fuzzer ever failed on, and its seeds, through the fuzzer's own checks,
/// so that `swift test` catches a regression without a fuzzing build.
@Suite struct HTTPRequestParserRegressionTests {
    @Test func replaysFuzzerRegressions() throws {
        let inputs = try Fixtures.files(in: "Tests/Fixtures/http-regressions")
        #expect(!inputs.isEmpty)
        for input in inputs {
            let data = try Data(contentsOf: input)
            data.withUnsafeBytes { HTTPParserHarness.checkConsistency($0) }
        }
    }

    @Test func replaysFuzzerSeeds() throws {
        let seeds = try Fixtures.files(in: "Fuzz/HTTPParserFuzzer/seeds")
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
