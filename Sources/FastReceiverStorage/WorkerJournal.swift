internal import FastReceiverSystem
internal import Foundation
internal import Glibc
internal import Logging
public import Synchronization

/// One worker's journal: its active segment and its group commit.
///
/// The worker's event loop appends records to a pending batch (a short critical section with
/// this journal's own sync thread only — no lock is shared with other workers). The sync thread
/// takes the whole batch, writes it with one `write`, makes it durable with one `fdatasync`,
/// then publishes the batch's last sequence number and wakes the event loop, which releases the
/// answers waiting for it. Records that arrive while a sync runs form the next batch.
public final class WorkerJournal: @unchecked Sendable {
    // @unchecked Sendable: the event-loop side (`append`, `state`) is used by one worker thread;
    // everything shared with the sync thread is guarded by `condition` or atomic.

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
    private let directory: String
    private let io: any JournalFileIO
    private let settings: Settings
    private let health: StorageHealth
    private let dedupe: DedupeIndex?
    private let compressor: SegmentCompressor?
    /// Called on the sync thread after each batch is resolved.
    private let onResolved: @Sendable () -> Void

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var pending: UnsafeMutableRawBufferPointer
    private var pendingCount = 0
    private var pendingKeys: [(EventKey, UInt64)] = []
    /// The keys of the batch being written (swapped with `pendingKeys`, so neither reallocates).
    private var writingKeys: [(EventKey, UInt64)] = []
    private var pendingLast: UInt64 = 0
    private var pendingRecords = 0
    /// fdatasync latency and batch sizes, written by the sync thread only.
    public let metrics = JournalMetrics()
    private var isStopping = false
    /// The sync thread is waiting for records: only then does an append need to signal it.
    private var isSyncIdle = false
    private var failedRanges: [ClosedRange<UInt64>] = []
    // Owned by the sync thread:
    private var writing: UnsafeMutableRawBufferPointer
    private var segmentDescriptor: Int32 = -1
    private var segmentBytes = 0
    private var segmentOpenedAt = 0
    private var segmentName: SegmentName?
    private var segmentSequence = 0
    private var isHealthy = true
    // Owned by the event loop:
    private var nextSequence: UInt64 = 1

    private let resolvedThrough = Atomic<UInt64>(0)
    /// Set once any batch has failed: until then `state(of:)` needs no lock.
    private let hasFailures = Atomic<Bool>(false)
    @usableFromInline let failed = Atomic<Bool>(false)
    /// After an fdatasync error nothing is acknowledged again until restart.
    private let syncFailed = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let logger = Logger(label: "fast-receiver")

    init(worker: Int, directory: String, io: any JournalFileIO, settings: Settings, health: StorageHealth,
         dedupe: DedupeIndex?, compressor: SegmentCompressor?, firstSegmentSequence: Int, onResolved: @escaping @Sendable () -> Void) throws {
        self.worker = worker
        self.directory = directory
        self.io = io
        self.settings = settings
        self.health = health
        self.dedupe = dedupe
        self.compressor = compressor
        self.onResolved = onResolved
        self.segmentSequence = firstSegmentSequence
        pending = .allocate(byteCount: settings.batchBytes, alignment: 8)
        writing = .allocate(byteCount: settings.batchBytes, alignment: 8)
        pendingKeys.reserveCapacity(4096)
        writingKeys.reserveCapacity(4096)
        let error = openSegment()
        guard error == 0 else {
            pending.deallocate()
            writing.deallocate()
            throw SystemError("creating a journal segment in \(directory)", errno: error)
        }
        let thread = Thread { [self] in syncLoop() }
        thread.name = "fast-receiver-journal-\(worker)"
        thread.start()
    }

    deinit {
        pending.deallocate()
        writing.deallocate()
    }

    // MARK: the event loop's side

    /// Adds a record to the next batch.
    /// - Parameter key: the event's dedupe key, released again if the record's batch fails.
    /// - Returns: the record's ticket, to wait on with `state(of:)`.
    public func append(receivedAtMilliseconds: Int64, eventID: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer,
                       key: EventKey?) -> Result<DurabilityTicket, AppendFailure> {
        guard !failed.load(ordering: .relaxed) else { return .failure(.unavailable) }
        let idCount = eventID.count <= JournalRecord.maxEventIDBytes ? eventID.count : 0
        let size = JournalRecord.encodedCount(eventIDCount: idCount, bodyCount: body.count)
        condition.lock()
        defer { condition.unlock() }
        guard pendingCount + size <= pending.count else { return .failure(.busy) }
        JournalRecord.encode(receivedAtMilliseconds: receivedAtMilliseconds, eventID: eventID, body: body,
                             into: UnsafeMutableRawBufferPointer(rebasing: pending[pendingCount...]))
        pendingCount += size
        let sequence = nextSequence
        nextSequence += 1
        pendingLast = sequence
        pendingRecords += 1
        if let key { pendingKeys.append((key, sequence)) }
        if isSyncIdle { condition.signal() }
        return .success(DurabilityTicket(worker: worker, sequence: sequence))
    }

    /// The sequence the next `append` will get (to claim a dedupe entry before appending).
    public var upcomingTicket: DurabilityTicket { DurabilityTicket(worker: worker, sequence: nextSequence) }

    /// Whether the record at `sequence` is durable yet.
    public func state(of sequence: UInt64) -> RecordState {
        guard sequence <= resolvedThrough.load(ordering: .acquiring) else {
            return syncFailed.load(ordering: .relaxed) ? .failed : .pending
        }
        guard hasFailures.load(ordering: .acquiring) else { return .durable }
        condition.lock()
        defer { condition.unlock() }
        return failedRanges.contains { $0.contains(sequence) } ? .failed : .durable
    }

    /// False while this journal refuses appends.
    @inlinable
    public var isAvailable: Bool { !failed.load(ordering: .relaxed) }

    /// Stops after the pending batch is resolved; blocks until the sync thread has finished.
    public func close() {
        condition.lock()
        isStopping = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    // MARK: the sync thread

    private func syncLoop() {
        while true {
            condition.lock()
            if pendingCount == 0 && !isStopping {
                isSyncIdle = true
                _ = condition.wait(until: Date().addingTimeInterval(isHealthy ? 1 : 0.5))
                isSyncIdle = false
            }
            let stopping = isStopping && pendingCount == 0
            swap(&pending, &writing)
            let count = pendingCount
            let last = pendingLast
            let records = pendingRecords
            swap(&pendingKeys, &writingKeys)
            pendingCount = 0
            pendingRecords = 0
            pendingKeys.removeAll(keepingCapacity: true)
            condition.unlock()

            if count > 0 {
                metrics.batchSize.observe(Int64(records))
                commit(UnsafeRawBufferPointer(rebasing: writing[..<count]), through: last, keys: writingKeys)
            } else {
                idleMaintenance()
            }
            if stopping { break }
        }
        if segmentDescriptor >= 0 {
            io.close(segmentDescriptor)
            segmentDescriptor = -1
            // A segment that never received a record is only noise for the next start.
            if segmentBytes <= SegmentHeader.bytes, let name = segmentName {
                unlink(directory + "/" + name.description)
            }
        }
        finished.signal()
    }

    /// Writes and syncs one batch, then resolves it.
    private func commit(_ batch: UnsafeRawBufferPointer, through last: UInt64, keys: [(EventKey, UInt64)]) {
        if !isHealthy || syncFailed.load(ordering: .relaxed) {
            resolve(through: last, failed: true, keys: keys)
            return
        }
        if segmentBytes > SegmentHeader.bytes,
           segmentBytes + batch.count > settings.segmentMaxBytes || MonotonicClock.milliseconds() - segmentOpenedAt > settings.segmentMaxAgeMilliseconds {
            let error = rotate()
            if error != 0 {
                becomeUnhealthy("creating a segment", errno: error)
                resolve(through: last, failed: true, keys: keys)
                return
            }
        }
        let writeError = io.write(segmentDescriptor, batch)
        if writeError != 0 {
            // Take back whatever part of the batch reached the file: it was never acknowledged.
            _ = io.truncate(segmentDescriptor, to: segmentBytes)
            becomeUnhealthy("write", errno: writeError)
            resolve(through: last, failed: true, keys: keys)
            return
        }
        if settings.durability == .fsync {
            let started = MonotonicClock.microseconds()
            let syncError = io.dataSync(segmentDescriptor)
            metrics.syncLatency.observe(Int64(MonotonicClock.microseconds() - started))
            if syncError != 0 {
                // The kernel may have dropped the dirty pages: whether anything reached the disk
                // is unknown, so nothing is acknowledged again until a restart recovers the segment.
                syncFailed.store(true, ordering: .relaxed)
                becomeUnhealthy("fdatasync", errno: syncError)
                resolve(through: last, failed: true, keys: keys)
                return
            }
        }
        segmentBytes += batch.count
        resolve(through: last, failed: false, keys: keys)
    }

    private func resolve(through last: UInt64, failed isFailure: Bool, keys: [(EventKey, UInt64)]) {
        if isFailure {
            condition.lock()
            // Batches resolve in order, so this one starts right after the previous one.
            failedRanges.append((resolvedThrough.load(ordering: .relaxed) + 1)...last)
            if failedRanges.count > 64 { failedRanges.removeFirst(failedRanges.count - 64) }
            condition.unlock()
            hasFailures.store(true, ordering: .releasing)
            for (key, sequence) in keys {
                dedupe?.release(key, ticket: DurabilityTicket(worker: worker, sequence: sequence))
            }
        }
        resolvedThrough.store(last, ordering: .releasing)
        onResolved()
    }

    private func becomeUnhealthy(_ operation: String, errno error: Int32) {
        guard isHealthy else { return }
        isHealthy = false
        failed.store(true, ordering: .relaxed)
        health.failed()
        let permanent = syncFailed.load(ordering: .relaxed)
        logger.error("journal stopped storing events: answering 503 and /readyz 503", metadata: [
            "worker": "\(worker)", "operation": "\(operation)", "error": "\(SystemError(operation, errno: error))",
            "recovery": "\(permanent ? "restart the process once the disk is healthy (a failed fdatasync is never retried)" : "automatic once a new segment can be written")",
        ])
    }

    /// While unhealthy, try to start a fresh segment: success means the disk takes writes again.
    /// A failed `fdatasync` is never retried this way.
    private func idleMaintenance() {
        if !isHealthy {
            guard !syncFailed.load(ordering: .relaxed) else { return }
            if rotate() == 0 {
                isHealthy = true
                failed.store(false, ordering: .relaxed)
                health.recovered()
                logger.notice("journal storing events again", metadata: ["worker": "\(worker)"])
            }
            return
        }
        if segmentBytes > SegmentHeader.bytes, MonotonicClock.milliseconds() - segmentOpenedAt > settings.segmentMaxAgeMilliseconds {
            let error = rotate()
            if error != 0 { becomeUnhealthy("creating a segment", errno: error) }
        }
    }

    /// Seals the active segment (it is already synced) and opens a new one.
    private func rotate() -> Int32 {
        let sealed = segmentName
        let sealedHasRecords = segmentBytes > SegmentHeader.bytes
        if segmentDescriptor >= 0 {
            io.close(segmentDescriptor)
            segmentDescriptor = -1
        }
        if let sealed {
            let path = directory + "/" + sealed.description
            if sealedHasRecords {
                compressor?.enqueue(path)
            } else {
                unlink(path)
            }
            segmentName = nil
            segmentBytes = 0
        }
        return openSegment()
    }

    /// Creates a segment, writes its header and makes both the file and its name durable.
    private func openSegment() -> Int32 {
        let created = Int64(Date().timeIntervalSince1970 * 1000)
        segmentSequence += 1
        let name = SegmentName(createdAtMilliseconds: created, worker: worker, sequence: segmentSequence)
        let path = directory + "/" + name.description
        let descriptor = io.open(path, create: true)
        guard descriptor >= 0 else { return -descriptor }
        let header = SegmentHeader.encode(createdAtMilliseconds: created)
        var error = header.withUnsafeBytes { io.write(descriptor, $0) }
        if error == 0 { error = io.dataSync(descriptor) }
        if error == 0 { error = io.syncDirectory(directory) }
        guard error == 0 else {
            io.close(descriptor)
            unlink(path)
            return error
        }
        segmentDescriptor = descriptor
        segmentName = name
        segmentBytes = SegmentHeader.bytes
        segmentOpenedAt = MonotonicClock.milliseconds()
        return 0
    }
}
