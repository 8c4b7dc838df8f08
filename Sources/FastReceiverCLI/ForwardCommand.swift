internal import ArgumentParser
internal import FastReceiver
internal import FastReceiverForwarding
internal import FastReceiverSystem
internal import Foundation
internal import Glibc
internal import Logging

/// `fast-receiver forward`: sends a journal's events to PostgreSQL from outside a server, e.g.
/// the volume of a replica that is gone.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Forward a journal's events to PostgreSQL from outside a server.",
        discussion: """
            Writes every stored event into the table exactly as serve's forwarder does: each once, \
            however often it is forwarded and by however many replicas. To continue where a \
            replica that is gone stopped, give its --replica name; under another name everything \
            is sent again, and rows already in the table are skipped. Without --once it keeps \
            forwarding new events until SIGINT or SIGTERM (then exits 0). With --once it exits 0 \
            once every event in the journal is in the table, showing progress on a terminal; it \
            exits 1 if stopped first or if PostgreSQL refuses in a way waiting will not heal \
            (credentials, database, privileges).
            """
    )

    @OptionGroup var location: JournalLocation
    @OptionGroup(title: "Forwarding to PostgreSQL") var forwarding: ForwardingFlags
    @Flag(help: "Forward what the journal holds, then exit 0.")
    var once = false

    func validate() throws {
        try validateSettings()
    }

    func run() throws {
        let catalog = try location.catalog()
        guard FileManager.default.fileExists(atPath: catalog.directory) else {
            throw ExitCode.refusal(printing: "no journal at \(catalog.directory); check --data-dir.")
        }
        let resolved: ForwardingSettings?
        do {
            resolved = try forwarding.settings(environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ExitCode.refusal(printing: error)
        }
        guard let settings = resolved else { throw ExitCode.refusal(printing: "--database-url (or DATABASE_URL) names no database.") }
        LogFormat.text.bootstrap(level: .info)
        // SIGINT and SIGTERM come through a signalfd, read by a thread of their own.
        let signals = SignalWatch(try LifecycleSignals())
        let forwarder = Forwarder(settings: settings, catalog: catalog, logger: Logger(label: "fast-receiver"))
        let watcher = Thread {
            while signals.signals.next() != .shutdown {}
            forwarder.requestStop()
        }
        watcher.start()
        guard once else {
            forwarder.run()
            return
        }
        var display = ProgressDisplay(isTerminal: isatty(STDERR_FILENO) == 1)
        let drained = forwarder.drain { display.show($0) }
        display.finish()
        let metrics = forwarder.metrics
        let summary = "\(metrics.inserted) inserted, \(metrics.duplicates) already in the table, \(metrics.rejected) refused into \(settings.tables.rejected)"
        guard drained else {
            let reason = forwarder.lastFailure.map { "PostgreSQL: \($0)" } ?? "stopped by a signal"
            FileHandle.standardError.write(Data("fast-receiver: the journal is not drained (\(reason)); so far \(summary).\n".utf8))
            throw ExitCode(1)
        }
        FileHandle.standardError.write(Data("fast-receiver: drained: \(summary).\n".utf8))
    }
}

/// One line on standard error that `forward --once` rewrites after each batch on a terminal:
/// events done and left, the rate, and the time left at that rate.
struct ProgressDisplay {
    let isTerminal: Bool
    private let started = MonotonicClock.milliseconds()
    private var isShown = false

    init(isTerminal: Bool) {
        self.isTerminal = isTerminal
    }

    mutating func show(_ progress: Forwarder.Progress) {
        guard isTerminal else { return }
        let seconds = max(Double(MonotonicClock.milliseconds() - started) / 1000, 0.001)
        let rate = Double(progress.done) / seconds
        let left = rate > 0 ? Self.duration(Double(progress.left) / rate) : "-"
        let line = "\r\u{1B}[K\(progress.done) events forwarded, \(progress.left) left, \(Int(rate)) events/s, \(left) left"
        FileHandle.standardError.write(Data(line.utf8))
        isShown = true
    }

    mutating func finish() {
        if isShown { FileHandle.standardError.write(Data("\n".utf8)) }
        isShown = false
    }

    /// Seconds as `1h02m`, `3m05s` or `12s`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        if total >= 3600 { return "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m" }
        if total >= 60 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total)s"
    }
}

/// Hands the signalfd to the thread that waits on it.
private final class SignalWatch: @unchecked Sendable {
    // @unchecked Sendable: after creation only the watching thread reads it.
    let signals: LifecycleSignals

    init(_ signals: LifecycleSignals) {
        self.signals = signals
    }
}
