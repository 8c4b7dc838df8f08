// libFuzzer entry point for the journal's segment reader.
//
// Build and run from the package root:
//
//     FAST_RECEIVER_FUZZ=1 swift build --scratch-path .build-fuzz \
//         --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
//         --product SegmentReaderFuzzer
//     mkdir -p .build-fuzz/segment-corpus
//     SWIFT_BACKTRACE=enable=no .build-fuzz/debug/SegmentReaderFuzzer -max_len=4096 -timeout=10 \
//         -max_total_time=300 .build-fuzz/segment-corpus Fuzz/SegmentReaderFuzzer/seeds \
//         Tests/Fixtures/segment-regressions
//
// Inputs are read after a segment header; every check compares with a reference that tries
// every offset (quadratic), so keep -max_len small. Linear time on large inputs is what
// SegmentScannerTests checks.
//
// (Why `-Xswiftc -sanitize=fuzzer,address`: see Fuzz/HTTPParserFuzzer/HTTPParserFuzzer.swift.)
//
// Copy every crasher into Tests/Fixtures/segment-regressions/ so that
// `swift test` replays it through the same checks.

/// Reads each input as the records of a segment; any disagreement with the reference scan, or a
/// line that is not one valid JSON object, traps so libFuzzer keeps the input as a crasher.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    SegmentReaderHarness.check(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
