internal import FastReceiverSystem
internal import Foundation
public import Logging

/// Runs the whole service in the calling thread: checks the data directory, starts one worker
/// per thread, and waits for SIGTERM/SIGINT to drain.
public enum ReceiverService {
    /// Runs until a shutdown signal has drained the server.
    /// - Throws: `ConfigurationError` when the service cannot start (port taken, directory not
    ///   writable); the message is one sentence for the operator.
    public static func run(configuration: ServerConfiguration, logger: Logger = Logger(label: "fast-receiver")) throws {
        let started = Date()
        try prepareDataDirectory(configuration.dataDirectory)
        // A log reader that goes away must cost log lines, not the server (sockets already
        // send with MSG_NOSIGNAL).
        signal(SIGPIPE, SIG_IGN)
        // Block the lifecycle signals before any thread exists, so only the signalfd sees them.
        let signals = try LifecycleSignals()
        logger.info("starting", metadata: configuration.summary.mapValues { .string($0) })
        let receiver = try Receiver(configuration: configuration, logger: logger)
        for note in receiver.journal.recovery.notes {
            logger.warning("journal recovery", metadata: ["repair": "\(note)"])
        }
        receiver.start()
        let journal = receiver.journal
        logger.info("listening on \(configuration.server.host):\(receiver.port)\(configuration.eventPath)", metadata: [
            "version": "\(FastReceiver.version)", "threads": "\(configuration.server.workers)", "journal": "\(journal.directory)",
            "records_recovered": "\(journal.recovery.records)", "torn_tails_repaired": "\(journal.recovery.tornTailsRepaired)",
        ])
        while true {
            switch signals.next() {
            case .shutdown:
                logger.info("draining: no new connections; finishing requests in progress")
                receiver.stop()
                let totals = receiver.registry.totals
                logger.info("stopped", metadata: [
                    "uptime_s": "\(Int(Date().timeIntervalSince(started)))",
                    "responses": "\(totals.responses)",
                    "events_accepted": "\(totals.accepted)",
                    "events_duplicate": "\(totals.duplicates)",
                    "events_rejected": "\(totals.rejected)",
                ])
                return
            case .reload:
                guard configuration.secretSource.secretFile != nil else {
                    logger.notice("SIGHUP ignored: secrets come from the environment, which a running process cannot re-read; use --secret-file to rotate without a restart")
                    continue
                }
                do {
                    let reloaded = try configuration.secretSource.load()
                    receiver.secrets.replace(with: reloaded)
                    logger.info("secrets reloaded", metadata: ["secrets": "\(reloaded.count) configured (redacted)"])
                } catch {
                    logger.error("secrets not reloaded; the previous ones stay in use", metadata: ["error": "\(error)"])
                }
            }
        }
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
