import Foundation

/// Runs the whole service in the calling thread: checks the data directory, starts one worker
/// per thread, and waits for SIGTERM/SIGINT to drain.
public enum ReceiverService {
    /// Runs until a shutdown signal has drained the server.
    /// - Throws: `ConfigurationError` when the service cannot start (port taken, directory not
    ///   writable); the message is one sentence for the operator.
    public static func run(configuration: ServerConfiguration) throws {
        try prepareDataDirectory(configuration.dataDirectory)
        // Block the lifecycle signals before any thread exists, so only the signalfd sees them.
        let signals = try LifecycleSignals()
        let status = ServiceStatus()
        let wake = try (0..<configuration.threads).map { _ in try WakeSignal() }
        let journal = try Journal(dataDirectory: configuration.dataDirectory, workerCount: configuration.threads,
                                  settings: configuration.journal, dedupeCapacity: configuration.dedupeCapacity,
                                  dedupeWindowSeconds: configuration.dedupeWindowSeconds, status: status, wake: wake)
        for note in journal.recovery.notes {
            FileHandle.standardError.write(Data("fast-receiver: journal recovery: \(note)\n".utf8))
        }
        let budget = ConnectionBudget(limit: configuration.maxConnections)
        let workerMetrics = (0..<configuration.threads).map { _ in WorkerMetrics() }
        let registry = Self.registry(workers: workerMetrics, journal: journal, budget: budget, status: status)
        let server: HTTPServer<EventIngestor>
        do {
            server = try HTTPServer(configuration: configuration, status: status, wakeSignals: wake, budget: budget,
                                    metrics: workerMetrics) { worker in
                EventIngestor(
                    worker: worker,
                    verifier: try SignatureVerifier(secrets: configuration.secrets, clockSkew: configuration.clockSkew),
                    eventPath: configuration.eventPath, maxBodyBytes: configuration.limits.maxBodyBytes,
                    status: status, journal: journal, metrics: workerMetrics[worker], registry: registry)
            }
        } catch {
            journal.close()
            throw error
        }
        server.start()
        FileHandle.standardError.write(Data("fast-receiver \(FastReceiver.version) listening on \(configuration.host):\(server.port)\(configuration.eventPath) with \(configuration.threads) worker thread(s), journal in \(journal.directory) (\(journal.recovery.records) records recovered)\n".utf8))
        while true {
            switch signals.next() {
            case .shutdown:
                server.shutdown()
                server.wait()
                journal.close()
                FileHandle.standardError.write(Data("fast-receiver stopped\n".utf8))
                return
            case .reload:
                continue
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
