public import FastReceiverSystem
internal import Foundation
internal import Glibc
internal import Synchronization

/// The durable store under `DATA_DIR/journal/`: one `WorkerJournal` (active segment and group
/// commit) per worker, the shared dedupe index, segments prepared ahead of use, and background
/// compression of sealed segments.
///
/// Opening it recovers every existing segment first: torn tails are truncated, corrupt records
/// in the middle are skipped and reported, and the dedupe index is rebuilt from recent records.
/// Recovery is never fatal.
public final class Journal: Sendable {
    public let directory: String
    public let workers: [WorkerJournal]
    public let dedupe: DedupeIndex
    public let recovery: RecoveryReport
    private let compressor: SegmentCompressor
    private let preparer: SegmentPreparer?
    private let crossWaiters = WaiterCount()

    /// The worker index that marks a ticket recovered from disk at start (always durable).
    static let recoveredWorker = 0xFFFF

    /// Opens (and recovers) the journal, then opens each worker's first segment: with
    /// `--durability fsync` prepared (zero-filled to its full size) before this returns.
    /// - Parameters:
    ///   - dataDirectory: `DATA_DIR`; the journal lives in its `journal/` folder.
    ///   - workerCount: one active segment per worker.
    ///   - wake: each worker's wake signal, rung when a batch of that worker resolves.
    ///   - health: where each worker journal reports that it stopped, or resumed, taking events.
    /// - Throws: `JournalError` when the directory cannot be used; `SystemError` when a segment
    ///   cannot be created.
    public init(dataDirectory: String, workerCount: Int, settings: WorkerJournal.Settings = .init(),
                dedupeCapacity: Int = 1_000_000, dedupeWindowSeconds: Int64 = 86_400,
                io: any JournalFileIO = PosixFileIO(), health: StorageHealth, wake: [WakeSignal]) throws {
        directory = dataDirectory + "/journal"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw JournalError.directoryNotCreatable(directory)
        }
        guard access(directory, W_OK) == 0 else {
            throw JournalError.directoryNotWritable(directory)
        }
        let dedupe = DedupeIndex(capacity: dedupeCapacity, windowSeconds: dedupeWindowSeconds)
        let compressor = SegmentCompressor()
        let recovery = JournalRecovery.run(directory: directory, segmentLimit: WorkerJournal.Settings.largestSegmentBytes(segmentMaxBytes: settings.segmentMaxBytes),
                                           dedupe: dedupe, compressor: compressor, now: UnixTime.now())
        // Preallocation serves the fdatasync; without one, segments simply grow.
        let preparer = settings.durability == .fsync ? SegmentPreparer(directory: directory, io: io) : nil
        self.dedupe = dedupe
        self.compressor = compressor
        self.preparer = preparer
        self.recovery = recovery
        let crossWaiters = self.crossWaiters
        var made: [WorkerJournal] = []
        do {
            for worker in 0..<workerCount {
                let signals = wake
                made.append(try WorkerJournal(
                    worker: worker, directory: directory, io: io, settings: settings, health: health, dedupe: dedupe,
                    preparer: preparer, compressor: compressor, firstSegmentSequence: 0,
                    onResolved: { [crossWaiters] in
                        if worker < signals.count { signals[worker].signal() }
                        if crossWaiters.value.load(ordering: .relaxed) > 0 {
                            for (index, signal) in signals.enumerated() where index != worker { signal.signal() }
                        }
                    }))
            }
        } catch {
            for worker in made { worker.close() }
            preparer?.close()
            compressor.close()
            throw error
        }
        workers = made
    }

    /// Each worker journal's sync metrics.
    public var metrics: [JournalMetrics] { workers.map(\.metrics) }

    /// Segment files in the journal directory now.
    public var segmentCount: Int { SegmentName.list(in: directory).count }

    /// Where the record behind `ticket` stands.
    public func state(of ticket: DurabilityTicket) -> WorkerJournal.RecordState {
        guard ticket.worker < workers.count else { return .durable }
        return workers[ticket.worker].state(of: ticket.sequence)
    }

    /// A worker starts (+1) or stops (-1) waiting on another worker's record: while any do,
    /// every resolved batch wakes every worker.
    public func noteCrossWorkerWait(_ delta: Int) {
        crossWaiters.value.wrappingAdd(delta, ordering: .relaxed)
    }

    /// Syncs and closes every worker journal, removes segments prepared but not used, then
    /// finishes pending compression.
    public func close() {
        for worker in workers { worker.close() }
        preparer?.close()
        compressor.close()
    }
}

/// How many workers wait on another worker's record.
final class WaiterCount: Sendable {
    let value = Atomic<Int>(0)
}
