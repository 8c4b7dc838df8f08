import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiverStorage

/// Replays the segment reader fuzzer's seeds and every input that once broke the reader through
/// the fuzzer's own checks, so that `swift test` catches a regression without a fuzzing build.
@Suite struct SegmentReaderRegressionTests {
    @Test func replaysFuzzerSeedsAndRegressions() throws {
        let seeds = try Fixtures.files(in: "Fuzz/SegmentReaderFuzzer/seeds")
        let regressions = try Fixtures.files(in: "Tests/Fixtures/segment-regressions")
        #expect(!seeds.isEmpty && !regressions.isEmpty)
        for input in seeds + regressions {
            let data = try Data(contentsOf: input)
            data.withUnsafeBytes { SegmentReaderHarness.check($0) }
        }
    }

    @Test("Every seed holds records, so the fuzzer starts from real segments")
    func seedsHoldRecords() throws {
        for seed in try Fixtures.files(in: "Fuzz/SegmentReaderFuzzer/seeds") {
            let segment = SegmentReaderHarness.headerBytes + Array(try Data(contentsOf: seed))
            let outcome = segment.withUnsafeBytes { SegmentReaderHarness.scan($0, from: SegmentHeader.bytes) }
            #expect(outcome.items.contains { if case .record = $0 { true } else { false } }, "\(seed.lastPathComponent)")
        }
    }
}
