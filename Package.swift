// swift-tools-version:6.1
import Foundation
import PackageDescription

/// FastReceiver: a Disruptive Technologies Data Connector receiver.
///
/// The core library depends on nothing but OpenSSL (and, for the journal, zlib) so that
/// the request path stays ours to measure. The PostgreSQL client that forwarding uses is a
/// library of its own over libpq, which depends on nothing else of ours. Benchmarks pull in
/// package-benchmark and swift-crypto; they are only part of the graph when
/// `FAST_RECEIVER_BENCHMARKS=1`, so normal builds and CI never resolve or compile them.
let benchmarksEnabled = ProcessInfo.processInfo.environment["FAST_RECEIVER_BENCHMARKS"] == "1"

var package = Package(
    name: "FastReceiver",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "FastReceiver", targets: ["FastReceiver"]),
        .executable(name: "fast-receiver", targets: ["FastReceiverCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Latency percentiles for `send`'s load mode; the library stays free of it.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(name: "CLinux"),
        .target(
            name: "FastReceiver",
            dependencies: ["COpenSSL", "CZlib", "CLinux", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "FastReceiverCLI",
            dependencies: [
                "FastReceiver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .testTarget(
            name: "FastReceiverTests",
            dependencies: ["FastReceiver"],
            exclude: ["Fixtures"]
        ),
        // PostgreSQL through libpq, for forwarding stored events; the only importer of CLibPQ.
        .target(name: "FastReceiverPostgres", dependencies: ["CLibPQ"]),
        // A throwaway PostgreSQL server for tests and benchmarks (initdb + pg_ctl).
        .target(
            name: "PostgresTestSupport",
            dependencies: ["FastReceiverPostgres"],
            path: "Tests/PostgresTestSupport"
        ),
        .testTarget(
            name: "FastReceiverPostgresTests",
            dependencies: ["FastReceiverPostgres", "PostgresTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

/// The libFuzzer targets (the HTTP parser, the event identity) have no `main` of their own, so
/// they only join the graph when asked for: `FAST_RECEIVER_FUZZ=1 swift build --sanitize=fuzzer ...`.
if ProcessInfo.processInfo.environment["FAST_RECEIVER_FUZZ"] == "1" {
    package.targets += [
        .executableTarget(
            name: "HTTPParserFuzzer",
            dependencies: ["FastReceiver"],
            path: "Fuzz/HTTPParserFuzzer",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
    package.products += [.executable(name: "HTTPParserFuzzer", targets: ["HTTPParserFuzzer"])]
    // The event identity on the request path against the plain reading of the same rule.
    package.targets += [
        .executableTarget(
            name: "EventIDFuzzer",
            dependencies: ["FastReceiver"],
            path: "Fuzz/EventIDFuzzer",
            exclude: ["seeds", "json.dict"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
    package.products += [.executable(name: "EventIDFuzzer", targets: ["EventIDFuzzer"])]
    // The journal's segment reader, on arbitrary bytes: same build, `--product SegmentReaderFuzzer`.
    package.targets += [
        .executableTarget(
            name: "SegmentReaderFuzzer",
            dependencies: ["FastReceiver"],
            path: "Fuzz/SegmentReaderFuzzer",
            exclude: ["seeds"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
    package.products += [.executable(name: "SegmentReaderFuzzer", targets: ["SegmentReaderFuzzer"])]
}

if benchmarksEnabled {
    package.dependencies += [
        // Malloc counts are the metric the thresholds guard. Naming the trait also leaves out the
        // default RuntimeInterposer (ARC counts on Linux with Swift 6.3), which none of the
        // benchmarks read and whose package would otherwise join the graph.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // Major 4, which jwt-kit 5 requires: the comparison is with what a Swift JWT stack runs.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ]
    package.targets += [
        .executableTarget(
            name: "CryptoBenchmarks",
            dependencies: [
                "FastReceiver",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/CryptoBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "RequestPathBenchmarks",
            dependencies: [
                "FastReceiver",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RequestPathBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "RequestPathProfile",
            dependencies: ["FastReceiver"],
            path: "Benchmarks/RequestPathProfile"
        ),
        .executableTarget(
            name: "JournalThroughput",
            dependencies: ["FastReceiver"],
            path: "Benchmarks/JournalThroughput"
        ),
        .executableTarget(
            name: "PostgresInsert",
            dependencies: ["FastReceiverPostgres", "PostgresTestSupport"],
            path: "Benchmarks/PostgresInsert"
        ),
    ]
}
