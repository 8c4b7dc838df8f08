public import FastReceiverPostgres
public import FastReceiverStorage
internal import FastReceiverSystem
internal import Foundation
public import Logging
internal import Synchronization

/// Forwards every stored event into PostgreSQL, exactly once, in storage order: a thread of its
/// own in `serve`, or the caller's thread for `forward`.
///
/// Each pass counts the records that arrived, then reads every counted record not yet
/// forwarded, segment by segment, into batches; each batch commits in one transaction with the
/// replica's new position in the segments it covers, so that a crash, a replay or a redelivery
/// to another replica never makes a second row. Nothing here can slow or fail ingestion: the
/// journal buffers while PostgreSQL is down, slow or refusing, and the forwarder retries with
/// capped exponential backoff and jitter, logging once per change of state and naming the
/// cause, never the password.
public final class Forwarder: @unchecked Sendable {
    // @unchecked Sendable: `condition` guards `isStopRequested`; everything else belongs to the
    // one thread that runs `run` or `drain`.

    public let settings: ForwardingSettings
    public let metrics: ForwardingMetrics
    private let logger: Logger
    private let condition = NSCondition()
    private var isStopRequested = false
    private let finished = DispatchSemaphore(value: 0)

    private var tail: JournalTail
    private var batch: ForwardBatch
    private let writer: BatchWriter
    private var connection: PostgresConnection?
    private var backoff: Backoff
    private var state = State.starting
    /// The most recent failure, for `forward --once` to report when `drain` gives up. Read it
    /// on the thread that ran `drain`.
    public private(set) var lastFailure: PostgresError?
    /// Learned while the tail was being read, applied to it once reading stops.
    private var settledSegments: [(name: SegmentName, count: Int, lastReceivedAt: Int64?, isComplete: Bool)] = []
    private var loadedPositions: [ForwardingTables.Position]?
    /// The segments forwarded whole, for retention on another thread.
    private let forwardedWhole = Mutex<Set<String>>([])

    /// Where the forwarder stands, for logging each change once.
    enum State: Equatable {
        case starting
        case forwarding
        case failing(PostgresError.Kind)
    }

    /// - Parameters:
    ///   - settings: the database, tables, replica name and pacing.
    ///   - catalog: the journal to forward.
    ///   - metrics: where to count.
    ///   - logger: where state changes go.
    public init(settings: ForwardingSettings, catalog: JournalCatalog, metrics: ForwardingMetrics = ForwardingMetrics(),
                logger: Logger = Logger(label: "fast-receiver")) {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        tail = JournalTail(catalog: catalog)
        batch = ForwardBatch(maxRows: settings.batchRows, maxBytes: settings.batchBytes)
        writer = BatchWriter(tables: settings.tables, replica: settings.replica)
        backoff = Backoff(initialMilliseconds: settings.initialBackoffMilliseconds, maxMilliseconds: settings.maxBackoffMilliseconds)
    }

    /// Starts forwarding on a background thread, which yields the CPU to anything else that
    /// wants it (ingestion first), until `stop`.
    public func start() {
        let thread = Thread { [self] in
            ProcessResources.makeCurrentThreadBackground()
            _ = forward(untilDrained: false) { _ in }
            finished.signal()
        }
        thread.name = "fast-receiver-forward"
        thread.start()
    }

    /// Forwards on the calling thread until `requestStop`.
    public func run() {
        _ = forward(untilDrained: false) { _ in }
    }

    /// Whether every record of a sealed segment is in PostgreSQL, as far as this forwarder knows
    /// (false until it has read its positions): what retention may delete. Any thread.
    public func hasForwarded(_ segment: SegmentName) -> Bool {
        let name = segment.baseName
        return forwardedWhole.withLock { $0.contains(name) }
    }

    /// Asks the forwarder to stop: the batch in flight is abandoned (its transaction never
    /// commits, so it is sent again next time) and `drain` returns false.
    public func requestStop() {
        condition.lock()
        isStopRequested = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the thread `start` began and waits for it, at most `timeoutSeconds` (a statement
    /// already sent to an unresponsive server can take longer; the process may exit regardless).
    /// - Returns: whether the thread finished in time.
    @discardableResult
    public func stop(timeoutSeconds: Double = 5) -> Bool {
        requestStop()
        return finished.wait(timeout: .now() + timeoutSeconds) == .success
    }

    /// Where `drain` stands, after each batch.
    public struct Progress: Sendable {
        /// Events written (inserted, already there, or refused into `<table>_rejected`).
        public var done: Int64
        /// Events in the journal not yet in PostgreSQL.
        public var left: Int
    }

    /// Forwards on the calling thread until every event in the journal is in PostgreSQL.
    ///
    /// Failures are retried with backoff, except those that will not heal by waiting (the
    /// connection string, the credentials, the database, a privilege): those end it.
    /// - Parameter report: called after each batch.
    /// - Returns: true once drained; false when stopped (`requestStop`) or given up.
    public func drain(report: (Progress) -> Void) -> Bool {
        forward(untilDrained: true, report: report)
    }

    // MARK: the forwarding thread

    private var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return isStopRequested
    }

    /// Waits `milliseconds`, or less if a stop is requested.
    private func pause(_ milliseconds: Int) {
        condition.lock()
        if !isStopRequested { _ = condition.wait(until: Date().addingTimeInterval(Double(milliseconds) / 1000)) }
        condition.unlock()
    }

    private func forward(untilDrained: Bool, report: (Progress) -> Void) -> Bool {
        defer {
            connection?.close()
            connection = nil
            metrics.setConnected(false)
        }
        while !isStopping {
            settle()
            tail.refresh(nowMilliseconds: MonotonicClock.milliseconds()) { name, problem in
                logger.warning("journal segment not forwarded whole", metadata: ["segment": "\(name)", "problem": "\(problem)"])
            }
            metrics.setPending(tail.pendingEvents, oldestMilliseconds: tail.oldestPendingMilliseconds)
            if untilDrained, case .failing(let kind) = state, kind.isLasting { return false }
            // The positions must be known before anything is read.
            guard connectIfNeeded() != nil else {
                pause(backoff.next())
                continue
            }
            if !tail.isCounting {
                settle()
                continue
            }
            let written = metrics.inserted + metrics.duplicates + metrics.rejected
            guard let taken = forwardPass() else {
                if !isStopping { pause(backoff.next()) }
                continue
            }
            settle()
            if metrics.inserted + metrics.duplicates + metrics.rejected != written {
                report(Progress(done: metrics.inserted + metrics.duplicates + metrics.rejected, left: tail.pendingEvents ?? 0))
            }
            if untilDrained, taken == 0, tail.pendingEvents == 0 { return true }
            if taken == 0 { pause(settings.pollMilliseconds) }
        }
        return false
    }

    /// Reads every counted record not yet forwarded into batches and writes them.
    /// - Returns: the records taken, or nil when a batch could not be written (it stays, and is
    ///   written first next time).
    private func forwardPass() -> Int? {
        if !batch.isEmpty, !flush() { return nil }
        var taken = 0
        var isFailed = false
        for index in tail.segments.indices {
            let name = tail.segments[index].name
            let isComplete = tail.read(index) { payload, segment, end in
                if batch.isFull, !flush() {
                    isFailed = true
                    return false
                }
                batch.append(payload: payload, segment: segment, end: end)
                taken += 1
                return true
            }
            if isFailed { return nil }
            if isComplete { batch.reach(name, to: tail.segments[index].forwarded.offset, isComplete: true) }
        }
        if !batch.isEmpty, !flush() { return nil }
        return taken
    }

    /// Writes the batch; on success empties it and notes what it settled.
    /// - Returns: whether it committed.
    private func flush() -> Bool {
        // A lost conflict with another replica's transaction is worth retrying at once.
        for _ in 0..<3 {
            guard !isStopping, let connection = connectIfNeeded() else { return false }
            let started = MonotonicClock.microseconds()
            do {
                let outcome = try writer.write(batch, on: connection)
                settled(outcome, microseconds: MonotonicClock.microseconds() - started)
                return true
            } catch {
                fail(error)
                guard error.kind == .transactionConflict else { return false }
            }
        }
        return false
    }

    /// Counts a committed batch and empties it.
    private func settled(_ outcome: BatchWriter.Outcome, microseconds: Int) {
        metrics.count(outcome)
        metrics.batchDuration.observe(Int64(microseconds))
        let now = UnixTime.nowMilliseconds()
        var counts = [Int](repeating: 0, count: batch.segments.count)
        var last = [Int64?](repeating: nil, count: batch.segments.count)
        for row in batch.rows {
            metrics.delay.observe(max(now - row.receivedAtMilliseconds, 0) * 1000)
            counts[row.segment] += 1
            last[row.segment] = row.receivedAtMilliseconds
        }
        for (index, segment) in batch.segments.enumerated() {
            settledSegments.append((segment.name, counts[index], last[index], segment.isComplete))
        }
        if outcome.rejected > 0 {
            logger.warning("PostgreSQL refused events for their content; they are in \(settings.tables.rejected)", metadata: [
                "events": "\(outcome.rejected)",
            ])
        }
        backoff.reset()
        enter(.forwarding, error: nil)
        batch.removeAll()
    }

    /// Applies to the tail what was learned while it was being read.
    private func settle() {
        if let positions = loadedPositions {
            tail.apply(positions)
            loadedPositions = nil
        }
        for segment in settledSegments {
            tail.forwarded(segment.count, of: segment.name, lastReceivedAt: segment.lastReceivedAt, isComplete: segment.isComplete)
        }
        settledSegments.removeAll(keepingCapacity: true)
        if tail.hasNewlyComplete {
            let complete = tail.completeSegments()
            forwardedWhole.withLock { $0 = complete }
        }
        metrics.setPending(tail.pendingEvents, oldestMilliseconds: tail.oldestPendingMilliseconds)
    }

    /// The open connection, or a new one with the tables ready and this replica's positions
    /// read; nil when that fails.
    private func connectIfNeeded() -> PostgresConnection? {
        if let connection, connection.status == .connected { return connection }
        connection = nil
        do {
            let opened = try PostgresConnection(settings.connectionString, connectTimeout: settings.connectTimeoutSeconds)
            try settings.tables.create(on: opened)
            try writer.prepare(opened)
            loadedPositions = try settings.tables.positions(of: settings.replica, on: opened)
            connection = opened
            metrics.setConnected(true)
            enter(.forwarding, error: nil)
            return opened
        } catch {
            fail(error)
            return nil
        }
    }

    /// Counts a failure, drops the connection (the next attempt starts afresh, creating the
    /// tables again if they went missing) and logs the new state.
    private func fail(_ error: PostgresError) {
        lastFailure = error
        metrics.countError(error.kind)
        if error.kind != .transactionConflict {
            connection?.close()
            connection = nil
            metrics.setConnected(false)
        }
        enter(.failing(error.kind), error: error)
    }

    /// Logs a change of state, once.
    private func enter(_ next: State, error: PostgresError?) {
        guard next != state else { return }
        let previous = state
        state = next
        switch next {
        case .forwarding:
            logger.info(previous == .starting ? "forwarding to PostgreSQL" : "forwarding to PostgreSQL resumed", metadata: [
                "database": "\(settings.connectionString)", "table": "\(settings.tables.events)", "replica": "\(settings.replica)",
            ])
        case .failing(let kind):
            var metadata: Logger.Metadata = [
                "cause": "\(kind.label)", "database": "\(settings.connectionString)",
                "retry": "with backoff up to \(Double(settings.maxBackoffMilliseconds) / 1000) s",
            ]
            if let error { metadata["error"] = "\(error)" }
            logger.error("forwarding to PostgreSQL paused; events stay in the journal until it resumes", metadata: metadata)
        case .starting:
            break
        }
    }
}

extension PostgresError.Kind {
    /// Failures that waiting will not heal: the configuration or the database must change.
    var isLasting: Bool {
        switch self {
        case .invalidConnectionString, .authenticationFailed, .databaseMissing, .permissionDenied: true
        default: false
        }
    }
}
