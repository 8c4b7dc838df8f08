internal import FastReceiverSystem
internal import Logging

/// One worker journal's sync thread: takes everything appended since the last batch, writes it
/// with one `write`, makes it durable with one `fdatasync`, then publishes the outcome and wakes
/// the event loops. Records that arrive while a sync runs form the next batch.
///
/// Owns the `SegmentWriter` and whether the journal is healthy; other threads see only what it
/// publishes in `CommitProgress` and `StorageHealth`.
final class GroupCommitter {
    private let worker: Int
    private let queue: BatchQueue
    private let progress: CommitProgress
    private let writer: SegmentWriter
    private let durability: Durability
    private let batchBytes: Int
    private let health: StorageHealth
    private let dedupe: DedupeIndex?
    private let metrics: JournalMetrics
    /// Called after each batch is resolved.
    private let onResolved: @Sendable () -> Void
    private let logger = Logger(label: "fast-receiver")
    /// False from a failed write or sync until a new segment can be opened.
    private var isHealthy = true

    init(worker: Int, queue: BatchQueue, progress: CommitProgress, writer: SegmentWriter, settings: WorkerJournal.Settings,
         health: StorageHealth, dedupe: DedupeIndex?, metrics: JournalMetrics, onResolved: @escaping @Sendable () -> Void) {
        self.worker = worker
        self.queue = queue
        self.progress = progress
        self.writer = writer
        self.durability = settings.durability
        self.batchBytes = settings.batchBytes
        self.health = health
        self.dedupe = dedupe
        self.metrics = metrics
        self.onResolved = onResolved
    }

    /// Commits batches until the queue is stopped and drained, then seals the active segment.
    func run() {
        var batch = JournalBatch(capacity: batchBytes)
        while true {
            let isLast = queue.take(into: &batch, waitingAtMost: isHealthy ? 1 : 0.5)
            if batch.isEmpty {
                maintain()
            } else {
                metrics.batchSize.observe(Int64(batch.records))
                resolve(batch, isFailure: !commit(batch.bytes))
                batch.removeAll()
            }
            if isLast { break }
        }
        writer.close()
    }

    /// Writes and syncs one batch.
    /// - Returns: whether it is durable.
    private func commit(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard isHealthy, !progress.hasSyncFailed.load(ordering: .relaxed) else { return false }
        if writer.isDue(adding: bytes.count), let failure = writer.rotate() {
            becomeUnhealthy(failure)
            return false
        }
        if let failure = writer.write(bytes) {
            becomeUnhealthy(failure)
            return false
        }
        if durability == .fsync, let failure = writer.sync() {
            // The kernel may have dropped the dirty pages: whether anything reached the disk
            // is unknown, so nothing is acknowledged again until a restart recovers the segment.
            progress.hasSyncFailed.store(true, ordering: .relaxed)
            becomeUnhealthy(failure)
            return false
        }
        return true
    }

    /// Publishes a batch's outcome; a failed batch's dedupe keys are released, so that a retry
    /// is stored.
    private func resolve(_ batch: borrowing JournalBatch, isFailure: Bool) {
        if isFailure {
            for (key, sequence) in batch.keys {
                dedupe?.release(key, ticket: DurabilityTicket(worker: worker, sequence: sequence))
            }
        }
        progress.resolve(through: batch.lastSequence, isFailure: isFailure)
        onResolved()
    }

    /// Between batches: while unhealthy, tries a fresh segment (success means the disk takes
    /// writes again; a failed fdatasync is never retried this way); otherwise seals a segment
    /// past its age limit and asks for its successor in time.
    private func maintain() {
        if !isHealthy {
            guard !progress.hasSyncFailed.load(ordering: .relaxed), writer.rotate() == nil else { return }
            isHealthy = true
            progress.isRefusing.store(false, ordering: .relaxed)
            health.recovered()
            logger.notice("journal storing events again", metadata: ["worker": "\(worker)"])
            return
        }
        if writer.isDue(adding: 0), let failure = writer.rotate() {
            becomeUnhealthy(failure)
        }
        writer.requestSuccessorIfDue()
    }

    private func becomeUnhealthy(_ failure: SystemError) {
        guard isHealthy else { return }
        isHealthy = false
        progress.isRefusing.store(true, ordering: .relaxed)
        health.failed()
        let isPermanent = progress.hasSyncFailed.load(ordering: .relaxed)
        logger.error("journal stopped storing events: answering 503 and /readyz 503", metadata: [
            "worker": "\(worker)", "error": "\(failure)",
            "recovery": "\(isPermanent ? "restart the process once the disk is healthy (a failed fdatasync is never retried)" : "automatic once a new segment can be written")",
        ])
    }
}
