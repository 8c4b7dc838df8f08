public import FastReceiverForwarding
internal import FastReceiverMetrics
public import FastReceiverStorage
internal import FastReceiverSystem
public import FastReceiverTransport
public import FastReceiverVerification
public import Logging

/// A receiver ready to start: the journal (recovered), the metrics, the secrets and the server
/// whose workers each run an `EventIngestor`. `ReceiverService` runs one; tests build one on
/// port 0 with their own file-I/O seam, so both wire the same pieces the same way.
public final class Receiver: Sendable {
    public let configuration: ServerConfiguration
    public let status: ServiceStatus
    public let journal: Journal
    public let secrets: SecretStore
    public let registry: MetricsRegistry
    public let server: HTTPServer<EventIngestor>
    /// Sends stored events to PostgreSQL; nil when the configuration names no database.
    public let forwarder: Forwarder?
    /// Deletes what the retention lets go and holds the journal to its cap.
    public let retention: JournalRetention

    /// Recovers the journal and opens every worker's listener.
    /// - Parameter io: the journal's file operations (tests inject a recording seam).
    /// - Throws: `ConfigurationError` when the address or data directory cannot be used;
    ///   `SystemError` or `CryptoError` when the machine cannot provide what a worker needs.
    public init(configuration: ServerConfiguration, io: any JournalFileIO = PosixFileIO(), logger: Logger = Logger(label: "fast-receiver")) throws {
        self.configuration = configuration
        let status = ServiceStatus()
        let wake = try (0..<configuration.server.workers).map { _ in try WakeSignal() }
        // Every body the server accepts must fit into a batch: an event that never fits would be
        // answered 503 on every delivery.
        var journalSettings = configuration.journal
        journalSettings.batchBytes = max(journalSettings.batchBytes, WorkerJournal.Settings.batchBytes(maxBodyBytes: configuration.server.limits.maxBodyBytes))
        let journal: Journal
        do {
            journal = try Journal(dataDirectory: configuration.dataDirectory, workerCount: configuration.server.workers,
                                  settings: journalSettings, dedupeCapacity: configuration.dedupeCapacity,
                                  dedupeWindowSeconds: configuration.dedupeWindowSeconds, io: io, health: status.storage, wake: wake)
        } catch let error as JournalError {
            throw ConfigurationError(error.description)
        }
        let secrets = SecretStore(configuration.secrets)
        let budget = ConnectionBudget(limit: configuration.server.maxConnections)
        let workerMetrics = (0..<configuration.server.workers).map { _ in WorkerMetrics() }
        let ingestMetrics = (0..<configuration.server.workers).map { _ in IngestMetrics() }
        let forwarder = configuration.forwarding.map { settings in
            Forwarder(settings: settings, catalog: JournalCatalog(dataDirectory: configuration.dataDirectory, segmentBytes: configuration.journal.segmentMaxBytes),
                      logger: logger)
        }
        var isForwarded: (@Sendable (SegmentName) -> Bool)?
        if let forwarder { isForwarded = { forwarder.hasForwarded($0) } }
        let retention = JournalRetention(directory: journal.directory, policy: configuration.retention, health: status.storage,
                                         isForwarded: isForwarded, logger: logger)
        let registry = Self.registry(workers: workerMetrics, ingest: ingestMetrics, journal: journal, budget: budget, status: status,
                                     forwarding: forwarder?.metrics, retention: retention)
        do {
            server = try HTTPServer(settings: configuration.server, drain: status.drain, wakeSignals: wake, budget: budget,
                                    metrics: workerMetrics, logger: logger) { worker in
                EventIngestor(
                    worker: worker,
                    verifier: try SignatureVerifier(secrets: configuration.secrets, clockSkew: configuration.clockSkew),
                    eventPath: configuration.eventPath, maxBodyBytes: configuration.server.limits.maxBodyBytes,
                    status: status, journal: journal, metrics: ingestMetrics[worker], registry: registry, secrets: secrets,
                    logger: logger)
            }
        } catch let error as ListenerError {
            journal.close()
            throw ConfigurationError(error.description)
        } catch {
            journal.close()
            throw error
        }
        self.status = status
        self.journal = journal
        self.secrets = secrets
        self.registry = registry
        self.forwarder = forwarder
        self.retention = retention
    }

    /// The port listened on (the one chosen when the configuration asked for 0).
    public var port: Int { server.port }

    /// Starts the workers, retention and, with a database configured, the forwarder.
    public func start() {
        server.start()
        retention.start()
        forwarder?.start()
    }

    /// Drains the server (requests in progress are finished and answered), syncs and closes the
    /// journal, then stops the forwarder (what it has not sent stays in the journal for next time).
    public func stop() {
        server.shutdown()
        server.wait()
        journal.close()
        forwarder?.stop()
        retention.stop()
    }

    /// The metrics `/metrics` exposes: every worker's and journal's counters plus live gauges.
    static func registry(workers: [WorkerMetrics], ingest: [IngestMetrics], journal: Journal, budget: ConnectionBudget,
                         status: ServiceStatus, forwarding: ForwardingMetrics?, retention: JournalRetention) -> MetricsRegistry {
        MetricsRegistry(workers: workers, ingest: ingest, journals: journal.metrics, forwarding: forwarding, gauges: [
            Gauge(name: "fast_receiver_open_connections", help: "Client connections open now.") { Double(budget.current) },
            Gauge(name: "fast_receiver_journal_segments", help: "Journal segment files, active and sealed.") { Double(journal.segmentCount) },
            Gauge(name: "fast_receiver_dedupe_entries", help: "Event ids the dedupe index remembers.") { Double(journal.dedupe.count) },
            Gauge(name: "fast_receiver_ready", help: "1 while /readyz answers 200 (storage writable, not draining).") { status.isReady ? 1 : 0 },
            Gauge(name: "fast_receiver_journal_bytes", help: "Bytes the journal directory holds on disk, as retention last measured them.") {
                Double(retention.journalBytes)
            },
            Gauge(name: "fast_receiver_journal_max_bytes", help: "The journal's cap, --journal-max-bytes; 0 when there is none.") {
                Double(retention.policy.maxBytes)
            },
            Gauge(name: "fast_receiver_journal_segments_deleted", help: "Sealed segments deleted by retention since start.") {
                Double(retention.deletedSegments)
            },
        ])
    }
}
