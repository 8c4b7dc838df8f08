import Benchmark

/// The crypto and verification path of one DT request, with swift-crypto alongside OpenSSL.
///
/// Each sample runs 1,000 operations (the scaling factor), so that clock overhead does not
/// swamp sub-microsecond work; results are printed per operation. Malloc counts must match the
/// committed thresholds exactly (they are the same on every machine with the same OpenSSL and
/// swift-crypto); time is reported but never checked.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(1),
        thresholds: [.mallocCountTotal: .strict]
    )

    registerHMACBenchmarks()
    registerDigestBenchmarks()
    registerVerificationBenchmarks()
}
