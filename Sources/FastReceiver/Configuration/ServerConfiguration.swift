public import FastReceiverForwarding
public import FastReceiverStorage
public import FastReceiverTransport
public import FastReceiverVerification
public import Logging

/// Everything a receiver runs with: a plain value that `fast-receiver serve` builds from its flags
/// and environment, and that tests build directly.
///
/// Every limit states its unit and default. What the transport needs (address, workers, limits,
/// deadlines, the connection cap) is the transport's own `ServerSettings`, held here as it is.
public struct ServerConfiguration: Sendable {
    /// Address, worker threads, request limits, deadlines and connection caps of the transport.
    public var server = ServerSettings()
    /// The path DT posts events to. Default `/`.
    public var eventPath: String = "/"
    /// Root of the journal. Default `./data`.
    public var dataDirectory: String = "./data"
    /// Where the secrets were read from, to read them again on SIGHUP.
    public var secretSource = SecretSource(environment: [:])
    /// The signature secrets, current first.
    public var secrets: [SignatureSecret] = []
    /// Seconds of clock skew tolerated on `exp` and `iat`. Default 60.
    public var clockSkew: Int64 = SignatureVerifier.defaultClockSkew
    /// Segment rotation, batch size and durability of the journal.
    public var journal = WorkerJournal.Settings()
    /// Event ids the dedupe index remembers at most. Default 1 000 000.
    public var dedupeCapacity = 1_000_000
    /// Seconds an event id is remembered. Default 86 400 (24 h).
    public var dedupeWindowSeconds: Int64 = 86_400
    /// How logs are written. Default text.
    public var logFormat = LogFormat.text
    /// The lowest level logged. Default info (refusals, start-up, shutdown; nothing per accepted event).
    public var logLevel = Logger.Level.info
    /// Where stored events are forwarded; nil (the default) forwards nothing.
    public var forwarding: ForwardingSettings?
    /// Which sealed segments are deleted, and the journal's byte cap. Default: none deleted, no cap.
    public var retention = JournalRetention.Policy()

    public init() {}

    /// The settings as a log line's metadata: everything except secrets, which are counted.
    public var summary: [String: String] {
        [
            "host": server.host, "port": "\(server.port)", "path": eventPath, "threads": "\(server.workers)", "data_dir": dataDirectory,
            "durability": journal.durability.rawValue, "segment_bytes": "\(journal.segmentMaxBytes)",
            "segment_age_s": "\(journal.segmentMaxAgeMilliseconds / 1000)",
            "dedupe_capacity": "\(dedupeCapacity)", "dedupe_window_s": "\(dedupeWindowSeconds)",
            "max_header_bytes": "\(server.limits.maxHeaderBytes)", "max_header_count": "\(server.limits.maxHeaderCount)",
            "max_body_bytes": "\(server.limits.maxBodyBytes)", "header_timeout_ms": "\(server.headerTimeoutMilliseconds)",
            "body_timeout_ms": "\(server.bodyTimeoutMilliseconds)", "idle_timeout_ms": "\(server.idleTimeoutMilliseconds)",
            "max_connections": "\(server.maxConnections)", "max_pipelined": "\(server.maxPipelinedRequests)",
            "shutdown_grace_ms": "\(server.shutdownGraceMilliseconds)", "clock_skew_s": "\(clockSkew)",
            "secrets": "\(secrets.count) configured (redacted)", "secret_file": secretSource.secretFile ?? "-",
            "log_format": logFormat.rawValue, "log_level": logLevel.rawValue,
            "database": forwarding.map { "\($0.connectionString)" } ?? "- (forwarding off)",
            "database_table": forwarding.map { "\($0.tables.events)" } ?? "-", "replica": forwarding?.replica ?? "-",
            "journal_retention_s": retention.maxAgeMilliseconds.map { "\($0 / 1000)" } ?? "- (nothing deleted)",
            "journal_max_bytes": "\(retention.maxBytes)",
        ]
    }
}
