// libFuzzer entry point for the event identity (`EventEnvelope.eventID(of:decodingInto:)`).
//
// Build and run from the package root:
//
//     FAST_RECEIVER_FUZZ=1 swift build --scratch-path .build-fuzz \
//         --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
//         --product EventIDFuzzer
//     mkdir -p fuzz-corpus-event-id
//     SWIFT_BACKTRACE=enable=no .build-fuzz/debug/EventIDFuzzer \
//         -dict=Fuzz/EventIDFuzzer/json.dict -max_total_time=300 fuzz-corpus-event-id Fuzz/EventIDFuzzer/seeds
//
// The `-Xswiftc -sanitize=fuzzer,address` is needed with Swift 6.3: SwiftPM passes the two
// sanitizers as separate `-sanitize=` flags and the driver forwards only the last one to the
// compiler, which leaves the code without coverage instrumentation and libFuzzer blind.
//
// Copy every crasher into Tests/Fixtures/event-id-regressions/ so that
// `swift test` replays it through the same checks.

/// Reads each input's identity on the request path and the plain way (and through Foundation
/// where it applies); any difference traps so libFuzzer keeps the input as a crasher.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    EventIDHarness.check(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
