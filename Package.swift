// swift-tools-version:6.1
import Foundation
import PackageDescription

/// FastReceiver: a Disruptive Technologies Data Connector receiver.
///
/// The library is a stack of modules whose arrows point down; each module sees only what it
/// depends on, so the compiler keeps the layers apart (docs/architecture.md draws them). Each C
/// library has exactly one Swift module over it. The core depends on nothing but OpenSSL, zlib
/// and swift-log, so that the request path stays ours to measure. The PostgreSQL client that
/// forwarding uses is a module of its own over libpq, which depends on nothing else of ours.
/// Benchmarks pull in package-benchmark and swift-crypto; they are only part of the graph when
/// `FAST_RECEIVER_BENCHMARKS=1`, so normal builds and CI never resolve or compile them.
let benchmarksEnabled = ProcessInfo.processInfo.environment["FAST_RECEIVER_BENCHMARKS"] == "1"

/// Every Swift target: `any` spelled out for existentials, and imports internal unless written
/// `public import`, so a module's interface names only what it chooses to expose.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let logging = Target.Dependency.product(name: "Logging", package: "swift-log")

/// A test target over `modules`, with the helpers every test target shares.
func testTarget(_ name: String, _ modules: [Target.Dependency]) -> Target {
    .testTarget(name: name, dependencies: modules + ["FastReceiverTestSupport"], swiftSettings: swiftSettings)
}

var package = Package(
    name: "FastReceiver",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fast-receiver", targets: ["FastReceiverCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Latency percentiles for `send`'s load mode; the library stays free of it.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // C libraries, each imported by one module only.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "CLinux"),
        // CRC-32 by carry-less multiplication, where the CPU has it; zlib stays the reference.
        .target(name: "CCRC32"),

        // The bottom: no knowledge of HTTP, DT or the journal.
        .target(name: "FastReceiverSystem", dependencies: ["CLinux"], swiftSettings: swiftSettings),
        .target(name: "FastReceiverCompression", dependencies: ["CZlib", "CCRC32"], swiftSettings: swiftSettings),
        .target(name: "FastReceiverCrypto", dependencies: ["COpenSSL", "FastReceiverSystem"], swiftSettings: swiftSettings),
        .target(name: "FastReceiverJSON", swiftSettings: swiftSettings),
        .target(name: "FastReceiverMetrics", swiftSettings: swiftSettings),
        // HTTP/1.1 parsing and encoding: no I/O.
        .target(name: "FastReceiverHTTP", dependencies: ["FastReceiverSystem", "FastReceiverCompression"], swiftSettings: swiftSettings),

        // The middle: each knows its own concern only.
        // Sockets, epoll workers and connections: knows nothing of DT, verification or the journal.
        .target(
            name: "FastReceiverTransport",
            dependencies: ["FastReceiverSystem", "FastReceiverCrypto", "FastReceiverHTTP", "FastReceiverMetrics", logging],
            swiftSettings: swiftSettings
        ),
        // DT's token rules and the event's identity.
        .target(
            name: "FastReceiverVerification",
            dependencies: ["FastReceiverSystem", "FastReceiverCrypto", "FastReceiverJSON"],
            swiftSettings: swiftSettings
        ),
        // The journal, dedupe and recovery: knows nothing of HTTP.
        .target(
            name: "FastReceiverStorage",
            dependencies: ["FastReceiverSystem", "FastReceiverCompression", "FastReceiverJSON", "FastReceiverMetrics", logging],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL through libpq, for forwarding stored events; depends on nothing else of ours.
        .target(name: "FastReceiverPostgres", dependencies: ["CLibPQ"], swiftSettings: swiftSettings),
        // Forwarding stored events to PostgreSQL: the journal read through Storage, written through Postgres.
        .target(
            name: "FastReceiverForwarding",
            dependencies: [
                "FastReceiverStorage", "FastReceiverPostgres", "FastReceiverJSON", "FastReceiverCrypto", "FastReceiverMetrics",
                "FastReceiverSystem", logging,
            ],
            swiftSettings: swiftSettings
        ),

        // The composition root: configuration, the ingest pipeline, metrics wiring, the service.
        .target(
            name: "FastReceiver",
            dependencies: [
                "FastReceiverSystem", "FastReceiverCrypto", "FastReceiverJSON", "FastReceiverMetrics", "FastReceiverHTTP",
                "FastReceiverTransport", "FastReceiverVerification", "FastReceiverStorage", "FastReceiverForwarding", logging,
            ],
            swiftSettings: swiftSettings
        ),
        // The load generator, the HTTP client and DT's signing: for the CLI, tests and benchmarks,
        // never linked into ingestion.
        .target(
            name: "FastReceiverTools",
            dependencies: ["FastReceiverSystem", "FastReceiverCrypto", "FastReceiverHTTP", "FastReceiverVerification"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "FastReceiverCLI",
            dependencies: [
                "FastReceiver", "FastReceiverTools", "FastReceiverStorage", "FastReceiverVerification", "FastReceiverSystem",
                "FastReceiverCrypto", "FastReceiverForwarding", "FastReceiverPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                logging,
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),

        // Tests mirror the modules; end-to-end tests of the receiver and the executable are
        // FastReceiverTests. What several test targets share lives in a library only tests use.
        // Child processes, started in a clean state, for both test-support libraries.
        .target(name: "ProcessTestSupport", path: "Tests/ProcessTestSupport", swiftSettings: swiftSettings),
        .target(
            name: "FastReceiverTestSupport",
            dependencies: [
                "FastReceiver", "FastReceiverCrypto", "FastReceiverJSON", "FastReceiverStorage", "FastReceiverSystem",
                "FastReceiverTools", "FastReceiverTransport", "FastReceiverVerification", "ProcessTestSupport",
            ],
            path: "Tests/FastReceiverTestSupport",
            swiftSettings: swiftSettings
        ),
        // A throwaway PostgreSQL server for tests and benchmarks (initdb + pg_ctl).
        .target(
            name: "PostgresTestSupport",
            dependencies: ["FastReceiverForwarding", "FastReceiverPostgres", "ProcessTestSupport"],
            path: "Tests/PostgresTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FastReceiverPostgresTests",
            dependencies: ["FastReceiverPostgres", "PostgresTestSupport"],
            swiftSettings: swiftSettings
        ),
        testTarget("FastReceiverSystemTests", ["FastReceiverSystem"]),
        testTarget("FastReceiverCryptoTests", ["FastReceiverCrypto", "FastReceiverTransport", "FastReceiverVerification"]),
        testTarget("FastReceiverJSONTests", ["FastReceiverJSON"]),
        testTarget("FastReceiverHTTPTests", ["FastReceiverHTTP"]),
        testTarget("FastReceiverTransportTests", ["FastReceiverTransport", "FastReceiverHTTP", "FastReceiverSystem"]),
        testTarget(
            "FastReceiverVerificationTests",
            ["FastReceiverVerification", "FastReceiverJSON", "FastReceiverStorage", "FastReceiverTools"]
        ),
        testTarget(
            "FastReceiverStorageTests",
            ["FastReceiverStorage", "FastReceiverCompression", "FastReceiverJSON", "FastReceiverSystem"]
        ),
        testTarget(
            "FastReceiverForwardingTests",
            ["FastReceiverForwarding", "FastReceiverPostgres", "PostgresTestSupport", "FastReceiverStorage", "FastReceiverSystem"]
        ),
        testTarget("FastReceiverToolsTests", ["FastReceiverTools", "FastReceiverVerification", "FastReceiverSystem"]),
        testTarget(
            "FastReceiverCLITests",
            [
                "FastReceiverCLI", "FastReceiver", "FastReceiverStorage", "FastReceiverSystem", "FastReceiverVerification",
                "FastReceiverPostgres", logging,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        testTarget(
            "FastReceiverTests",
            [
                "FastReceiver", "FastReceiverCrypto", "FastReceiverHTTP", "FastReceiverStorage", "FastReceiverSystem",
                "FastReceiverTools", "FastReceiverVerification", "FastReceiverForwarding", "FastReceiverPostgres", "PostgresTestSupport",
            ]
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
            dependencies: ["FastReceiverHTTP"],
            path: "Fuzz/HTTPParserFuzzer",
            exclude: ["seeds"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
    package.products += [.executable(name: "HTTPParserFuzzer", targets: ["HTTPParserFuzzer"])]
    // The event identity on the request path against the plain reading of the same rule.
    package.targets += [
        .executableTarget(
            name: "EventIDFuzzer",
            dependencies: ["FastReceiverJSON", "FastReceiverVerification"],
            path: "Fuzz/EventIDFuzzer",
            exclude: ["seeds", "json.dict"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
    package.products += [.executable(name: "EventIDFuzzer", targets: ["EventIDFuzzer"])]
    // The journal's segment reader, on arbitrary bytes: same build, `--product SegmentReaderFuzzer`.
    package.targets += [
        .executableTarget(
            name: "SegmentReaderFuzzer",
            dependencies: ["FastReceiverJSON", "FastReceiverStorage"],
            path: "Fuzz/SegmentReaderFuzzer",
            exclude: ["seeds"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]
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
                "FastReceiverCrypto", "FastReceiverVerification",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/CryptoBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "RequestPathBenchmarks",
            dependencies: [
                "FastReceiver", "FastReceiverHTTP", "FastReceiverStorage", "FastReceiverSystem", "FastReceiverTools",
                "FastReceiverVerification",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RequestPathBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "RequestPathProfile",
            dependencies: [
                "FastReceiver", "FastReceiverHTTP", "FastReceiverStorage", "FastReceiverSystem", "FastReceiverTools",
                "FastReceiverVerification",
            ],
            path: "Benchmarks/RequestPathProfile",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "JournalThroughput",
            dependencies: ["FastReceiverStorage", "FastReceiverSystem"],
            path: "Benchmarks/JournalThroughput",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ForwardDrain",
            dependencies: ["FastReceiverForwarding", "FastReceiverPostgres", "FastReceiverStorage", "PostgresTestSupport"],
            path: "Benchmarks/ForwardDrain",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "PostgresInsert",
            dependencies: ["FastReceiverPostgres", "PostgresTestSupport"],
            path: "Benchmarks/PostgresInsert",
            swiftSettings: swiftSettings
        ),
    ]
}
