// libFuzzer entry point for the HTTP request parser.
//
// Build and run from the package root:
//
//     FAST_RECEIVER_FUZZ=1 swift build --scratch-path .build-fuzz \
//         --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
//         --product HTTPParserFuzzer
//     mkdir -p fuzz-corpus
//     SWIFT_BACKTRACE=enable=no .build-fuzz/debug/HTTPParserFuzzer \
//         -dict=/path/to/http.dict -max_total_time=300 fuzz-corpus Fuzz/HTTPParserFuzzer/seeds
//
// The `-Xswiftc -sanitize=fuzzer,address` is needed with Swift 6.3: SwiftPM passes the two
// sanitizers as separate `-sanitize=` flags and the driver forwards only the last one to the
// compiler, which leaves the code without coverage instrumentation and libFuzzer blind.
//
// Copy every crasher into Tests/Fixtures/http-regressions/ so that
// `swift test` replays it through the same checks.

/// Parses each input as the bytes of one connection, fed whole and in pieces; any difference
/// between the runs, or a broken invariant, traps so libFuzzer keeps the input as a crasher.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    HTTPParserHarness.checkConsistency(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
