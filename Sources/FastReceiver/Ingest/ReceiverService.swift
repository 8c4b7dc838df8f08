import Foundation
import Logging

/// Runs the whole service in the calling thread: checks the data directory, starts one worker
/// per thread, and waits for SIGTERM/SIGINT to drain.
public enum ReceiverService {
    /// Runs until a shutdown signal has drained the server.
    /// - Throws: `ConfigurationError` when the service cannot start (port taken, directory not
    ///   writable); the message is one sentence for the operator.
    public static func run(configuration: ServerConfiguration, logger: Logger = Logger(label: "fast-receiver")) throws {
        let started = Date()
        try prepareDataDirectory(configuration.dataDirectory)
        // Block the lifecycle signals before any thread exists, so only the signalfd sees them.
        let signals = try LifecycleSignals()
        logger.info("starting", metadata: configuration.summary.mapValues { .string($0) })
        let status = ServiceStatus()
        let wake = try (0..<configuration.threads).map { _ in try WakeSignal() }
        let journal = try Journal(dataDirectory: configuration.dataDirectory, workerCount: configuration.threads,
                                  settings: configuration.journal, dedupeCapacity: configuration.dedupeCapacity,
                                  dedupeWindowSeconds: configuration.dedupeWindowSeconds, status: status, wake: wake)
        for note in journal.recovery.notes {
            logger.warning("journal recovery", metadata: ["repair": "\(note)"])
        }
        let secrets = SecretStore(configuration.secrets)
        let budget = ConnectionBudget(limit: configuration.maxConnections)
        let workerMetrics = (0..<configuration.threads).map { _ in WorkerMetrics() }
        let registry = Self.registry(workers: workerMetrics, journal: journal, budget: budget, status: status)
        let server: HTTPServer<EventIngestor>
        do {
            server = try HTTPServer(configuration: configuration, status: status, wakeSignals: wake, budget: budget,
                                    metrics: workerMetrics, logger: logger) { worker in
                EventIngestor(
                    worker: worker,
                    verifier: try SignatureVerifier(secrets: configuration.secrets, clockSkew: configuration.clockSkew),
                    eventPath: configuration.eventPath, maxBodyBytes: configuration.limits.maxBodyBytes,
                    status: status, journal: journal, metrics: workerMetrics[worker], registry: registry, secrets: secrets)
            }
        } catch {
            journal.close()
            throw error
        }
        server.start()
        logger.info("listening on \(configuration.host):\(server.port)\(configuration.eventPath)", metadata: [
            "version": "\(FastReceiver.version)", "threads": "\(configuration.threads)", "journal": "\(journal.directory)",
            "records_recovered": "\(journal.recovery.records)", "torn_tails_repaired": "\(journal.recovery.tornTailsRepaired)",
        ])
        while true {
            switch signals.next() {
            case .shutdown:
                logger.info("draining: no new connections; finishing requests in progress")
                server.shutdown()
                server.wait()
                journal.close()
                let text = registry.render()
                func total(_ prefix: String) -> String {
                    let sum = text.split(separator: "\n").filter { $0.hasPrefix(prefix) }
                        .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
                    return String(Int(sum))
                }
                logger.info("stopped", metadata: [
                    "uptime_s": "\(Int(Date().timeIntervalSince(started)))",
                    "responses": "\(total("fast_receiver_http_responses_total"))",
                    "events_accepted": "\(total("fast_receiver_events_total{outcome=\"accepted\"}"))",
                    "events_duplicate": "\(total("fast_receiver_events_total{outcome=\"duplicate\"}"))",
                    "events_rejected": "\(total("fast_receiver_events_rejected_total"))",
                ])
                return
            case .reload:
                guard configuration.secretSource.secretFile != nil else {
                    logger.notice("SIGHUP ignored: secrets come from the environment, which a running process cannot re-read; use --secret-file to rotate without a restart")
                    continue
                }
                do {
                    let reloaded = try configuration.secretSource.load()
                    secrets.replace(with: reloaded)
                    logger.info("secrets reloaded", metadata: ["secrets": "\(reloaded.count) configured (redacted)"])
                } catch {
                    logger.error("secrets not reloaded; the previous ones stay in use", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// The metrics `/metrics` exposes: every worker's and journal's counters plus live gauges.
    public static func registry(workers: [WorkerMetrics], journal: Journal, budget: ConnectionBudget, status: ServiceStatus) -> MetricsRegistry {
        MetricsRegistry(workers: workers, journals: journal.metrics, gauges: [
            .init(name: "fast_receiver_open_connections", help: "Client connections open now.") { Double(budget.current) },
            .init(name: "fast_receiver_journal_segments", help: "Journal segment files, active and sealed.") { Double(journal.segmentCount) },
            .init(name: "fast_receiver_dedupe_entries", help: "Event ids the dedupe index remembers.") { Double(journal.dedupe.count) },
            .init(name: "fast_receiver_ready", help: "1 while /readyz answers 200 (storage writable, not draining).") { status.isReady ? 1 : 0 },
        ])
    }

    /// Creates the data directory if needed and checks it is writable.
    static func prepareDataDirectory(_ path: String) throws(ConfigurationError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ConfigurationError("The data directory \(path) cannot be created; check the path and its permissions.")
        }
        guard access(path, W_OK) == 0 else {
            throw ConfigurationError("The data directory \(path) is not writable; check its permissions.")
        }
    }
}
