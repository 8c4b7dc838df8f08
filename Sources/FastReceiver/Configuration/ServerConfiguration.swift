public import FastReceiverForwarding
public import FastReceiverHTTP
public import FastReceiverStorage
public import FastReceiverTransport
public import FastReceiverVerification

/// Everything `fast-receiver serve` runs with, resolved from flags and environment.
///
/// Every limit states its unit and default; `ServeOptions` turns flags and environment
/// variables into one of these and refuses values out of range with one sentence.
public struct ServerConfiguration: Sendable {
    /// Where to listen. Default `0.0.0.0`.
    public var host: String = "0.0.0.0"
    /// TCP port; 0 picks a free one (tests). Default 8080.
    public var port: Int = 8080
    /// The path DT posts events to. Default `/`.
    public var eventPath: String = "/"
    /// Worker threads, each with its own listener and epoll loop. Default 1; `serve` defaults to
    /// the CPUs this process may run on.
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
    /// How logs are written. Default text.
    public var logFormat = LogFormat.text
    /// The lowest level logged. Default info (refusals, start-up, shutdown; nothing per accepted event).
    public var logLevel = "info"
    /// Pending connections the kernel queues per listener. Default 4096.
    public var listenBacklog = 4096
    /// Where stored events are forwarded; nil (the default) forwards nothing.
    public var forwarding: ForwardingSettings?

    public init() {}

    /// The settings as a log line's metadata: everything except secrets, which are counted.
    public var summary: [String: String] {
        [
            "host": host, "port": "\(port)", "path": eventPath, "threads": "\(threads)", "data_dir": dataDirectory,
            "durability": journal.durability.rawValue, "segment_bytes": "\(journal.segmentMaxBytes)",
            "segment_age_s": "\(journal.segmentMaxAgeMilliseconds / 1000)",
            "dedupe_capacity": "\(dedupeCapacity)", "dedupe_window_s": "\(dedupeWindowSeconds)",
            "max_header_bytes": "\(limits.maxHeaderBytes)", "max_header_count": "\(limits.maxHeaderCount)",
            "max_body_bytes": "\(limits.maxBodyBytes)", "header_timeout_ms": "\(headerTimeoutMilliseconds)",
            "body_timeout_ms": "\(bodyTimeoutMilliseconds)", "idle_timeout_ms": "\(idleTimeoutMilliseconds)",
            "max_connections": "\(maxConnections)", "max_pipelined": "\(maxPipelinedRequests)",
            "shutdown_grace_ms": "\(shutdownGraceMilliseconds)", "clock_skew_s": "\(clockSkew)",
            "secrets": "\(secrets.count) configured (redacted)", "secret_file": secretSource.secretFile ?? "-",
            "log_format": logFormat.rawValue, "log_level": logLevel,
            "database": forwarding.map { "\($0.connectionString)" } ?? "- (forwarding off)",
            "database_table": forwarding.map { "\($0.tables.events)" } ?? "-", "replica": forwarding?.replica ?? "-",
        ]
    }
}

extension ServerConfiguration {
    /// What the transport runs with: the address, workers, limits, deadlines and connection cap
    /// of this configuration.
    public var serverSettings: ServerSettings {
        var settings = ServerSettings()
        settings.host = host
        settings.port = port
        settings.workers = threads
        settings.listenBacklog = listenBacklog
        settings.limits = limits
        settings.headerTimeoutMilliseconds = headerTimeoutMilliseconds
        settings.bodyTimeoutMilliseconds = bodyTimeoutMilliseconds
        settings.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        settings.maxConnections = maxConnections
        settings.maxPipelinedRequests = maxPipelinedRequests
        settings.shutdownGraceMilliseconds = shutdownGraceMilliseconds
        return settings
    }
}
