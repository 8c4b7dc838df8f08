internal import Dispatch
internal import FastReceiverSystem
internal import Foundation
public import Synchronization

/// One worker's journal: its active segment and its group commit.
///
/// The worker's event loop appends records to a pending batch (a short critical section with
/// this journal's own sync thread only — no lock is shared with other workers). The sync thread
/// takes the whole batch, writes it with one `write`, makes it durable with one `fdatasync`,
/// then publishes the batch's last sequence number and wakes the event loop, which releases the
/// answers waiting for it. Records that arrive while a sync runs form the next batch.
///
/// Each piece of state has one owner: the pending batch is the `BatchQueue`'s, behind its
/// `Mutex`; the active segment is the `SegmentWriter`'s, which the sync thread (`GroupCommitter`)
/// alone holds; how far batches are resolved is `CommitProgress`, written by the sync thread and
/// read by any event loop; the next sequence number belongs to this worker's event loop.
public final class WorkerJournal: Sendable {
    /// Where a record stands.
    public enum RecordState: Equatable, Sendable { case pending, durable, failed }

    /// Why an append was refused.
    public enum AppendFailure: Error, Equatable, Sendable {
        /// The journal cannot store right now (disk full, I/O error, sync failure).
        case unavailable
        /// The pending batch is full: storage is slower than arrivals. Retry shortly.
        case busy
    }

    public struct Settings: Sendable {
        public var durability: Durability = .fsync
        /// Rotate the active segment after this many bytes. Default 64 MiB.
        public var segmentMaxBytes = 64 << 20
        /// Rotate the active segment after this many milliseconds. Default one hour.
        public var segmentMaxAgeMilliseconds = 3_600_000
        /// Bytes a pending batch may hold before appends are refused as busy. Default 16 MiB;
        /// at least `batchBytes(maxBodyBytes:)` for the server's body limit, so that any event
        /// the server accepts fits into an empty batch.
        public var batchBytes = 16 << 20
        public init() {}

        /// The batch size for a body limit: room for two of the largest records, and at least
        /// 16 MiB. Every event the server accepts then fits into an empty batch, and a full batch
        /// only answers `503` until the sync in progress ends, which heals by itself.
        /// - Parameter maxBodyBytes: the server's body limit, at most `JournalRecord.maxBodyBytes`.
        public static func batchBytes(maxBodyBytes: Int) -> Int {
            precondition(maxBodyBytes <= JournalRecord.maxBodyBytes, "the body limit is capped at what the journal stores")
            return max(16 << 20, 2 * JournalRecord.encodedCount(eventIDCount: JournalRecord.maxEventIDBytes, bodyCount: maxBodyBytes))
        }

        /// The largest segment a server with this `segmentMaxBytes` writes, whatever its body
        /// limit: records are appended while the segment stays under `segmentMaxBytes`, and an
        /// empty segment takes any one batch. Readers refuse larger files, and stop inflating a
        /// compressed segment there.
        public static func largestSegmentBytes(segmentMaxBytes: Int) -> Int {
            max(segmentMaxBytes, SegmentHeader.bytes + batchBytes(maxBodyBytes: JournalRecord.maxBodyBytes))
        }
    }

    public let worker: Int
    /// fdatasync latency and batch sizes, written by the sync thread only.
    public let metrics = JournalMetrics()
    private let queue: BatchQueue
    @usableFromInline let progress = CommitProgress()
    /// The sequence number of the next record. Written by this worker's event loop only
    /// (`append`); an atomic so that the type is checked `Sendable`: relaxed loads and stores
    /// compile to plain moves.
    private let nextSequence = Atomic<UInt64>(1)
    private let finished = DispatchSemaphore(value: 0)

    /// Opens the first segment (prepared ahead when `preparer` is given), then starts the sync thread.
    /// - Throws: `SystemError` when the first segment cannot be created.
    init(worker: Int, directory: String, io: any JournalFileIO, settings: Settings, health: StorageHealth, dedupe: DedupeIndex?,
         preparer: SegmentPreparer?, compressor: SegmentCompressor?, firstSegmentSequence: Int,
         onResolved: @escaping @Sendable () -> Void) throws {
        self.worker = worker
        queue = BatchQueue(capacity: settings.batchBytes)
        let writer = try SegmentWriter(worker: worker, directory: directory, io: io, settings: settings, preparer: preparer,
                                       compressor: compressor, metrics: metrics, firstSequence: firstSegmentSequence)
        let committer = GroupCommitter(worker: worker, queue: queue, progress: progress, writer: writer, settings: settings,
                                       health: health, dedupe: dedupe, metrics: metrics, onResolved: onResolved)
        // The committer and its writer belong to the sync thread from here on: the Mutex is how
        // they are handed over, and nothing else keeps them.
        let handover = Mutex<GroupCommitter?>(committer)
        let finished = self.finished
        let thread = Thread {
            handover.withLock { $0.take() }?.run()
            finished.signal()
        }
        thread.name = "fast-receiver-journal-\(worker)"
        thread.start()
    }

    // MARK: the event loop's side

    /// Adds a record to the next batch.
    /// - Parameter key: the event's dedupe key, released again if the record's batch fails.
    /// - Returns: the record's ticket, to wait on with `state(of:)`.
    public func append(receivedAtMilliseconds: Int64, eventID: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer,
                       key: EventKey?) -> Result<DurabilityTicket, AppendFailure> {
        guard isAvailable else { return .failure(.unavailable) }
        let sequence = nextSequence.load(ordering: .relaxed)
        guard queue.append(receivedAtMilliseconds: receivedAtMilliseconds, eventID: eventID, body: body, sequence: sequence, key: key) else {
            return .failure(.busy)
        }
        nextSequence.store(sequence + 1, ordering: .relaxed)
        return .success(DurabilityTicket(worker: worker, sequence: sequence))
    }

    /// The ticket the next `append` will get (to claim a dedupe entry before appending).
    public var upcomingTicket: DurabilityTicket {
        DurabilityTicket(worker: worker, sequence: nextSequence.load(ordering: .relaxed))
    }

    /// Whether the record at `sequence` is durable yet.
    public func state(of sequence: UInt64) -> RecordState {
        progress.state(of: sequence)
    }

    /// False while this journal refuses appends.
    @inlinable
    public var isAvailable: Bool { !progress.isRefusing.load(ordering: .relaxed) }

    /// Stops after the pending batch is resolved and the active segment sealed; blocks until the
    /// sync thread has finished.
    public func close() {
        queue.stop()
        finished.wait()
    }
}
