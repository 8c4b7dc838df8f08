/// Everything `fast-receiver serve` runs with, resolved from flags and environment.
///
/// Every limit states its unit and default; `ServeSettings` turns flags and environment
/// variables into one of these and refuses values out of range with one sentence.
public struct ServerConfiguration: Sendable {
    /// Where to listen. Default `0.0.0.0`.
    public var host: String = "0.0.0.0"
    /// TCP port; 0 picks a free one (tests). Default 8080.
    public var port: Int = 8080
    /// The path DT posts events to. Default `/`.
    public var eventPath: String = "/"
    /// Worker threads, each with its own listener and epoll loop. Default: CPUs available.
    public var threads: Int = 1
    /// Root of the journal. Default `./data`.
    public var dataDirectory: String = "./data"
    /// Where the secrets were read from, to read them again on SIGHUP.
    public var secretSource = SecretSource(environment: [:])
    /// The signature secrets, current first.
    public var secrets: [SignatureSecret] = []
    /// Seconds of clock skew tolerated on `exp` and `iat`. Default 60.
    public var clockSkew: Int64 = SignatureVerifier.defaultClockSkew
    /// Header, header-count and body size limits.
    public var limits = HTTPLimits()
    /// Milliseconds from a request's first byte to the end of its headers. Default 10 000.
    public var headerTimeoutMilliseconds = 10_000
    /// Milliseconds from the end of the headers to the end of the body. Default 30 000.
    public var bodyTimeoutMilliseconds = 30_000
    /// Milliseconds a keep-alive connection may sit idle between requests. Default 60 000.
    public var idleTimeoutMilliseconds = 60_000
    /// Open connections across all workers; more wait in the listen backlog. Default 10 000.
    public var maxConnections = 10_000
    /// Requests read on one connection but not yet answered; reading pauses at the cap. Default 32.
    public var maxPipelinedRequests = 32
    /// Milliseconds a graceful shutdown may take before remaining connections are cut. Default 25 000.
    public var shutdownGraceMilliseconds = 25_000
    /// Segment rotation, batch size and durability of the journal.
    public var journal = WorkerJournal.Settings()
    /// Event ids the dedupe index remembers at most. Default 1 000 000.
    public var dedupeCapacity = 1_000_000
    /// Seconds an event id is remembered. Default 86 400 (24 h).
    public var dedupeWindowSeconds: Int64 = 86_400
    /// Pending connections the kernel queues per listener. Default 4096.
    public var listenBacklog = 4096

    public init() {}
}

import CLinux

extension ServerConfiguration {
    /// The CPUs this process may run on (`sched_getaffinity`), at least 1.
    public static var availableCPUs: Int { max(Int(fr_available_cpus()), 1) }
}
