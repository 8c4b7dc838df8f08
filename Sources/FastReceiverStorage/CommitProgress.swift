public import Synchronization

/// How far a worker journal's batches are resolved: published by its sync thread, read by the
/// event loop of any worker (a duplicate may wait on another worker's record).
///
/// Batches resolve in sequence order, so one number says which records are no longer pending;
/// the few that failed are kept as ranges, read only once any batch has failed.
@usableFromInline
final class CommitProgress: Sendable {
    /// The last sequence number of the last resolved batch.
    private let resolvedThrough = Atomic<UInt64>(0)
    /// Set once any batch has failed: until then `state(of:)` takes no lock.
    private let hasFailures = Atomic<Bool>(false)
    /// The most recent failed batches' sequence numbers, at most 64 ranges.
    private let failedRanges = Mutex<[ClosedRange<UInt64>]>([])
    /// While set, appends are refused: the journal cannot store.
    @usableFromInline let isRefusing = Atomic<Bool>(false)
    /// Set after an fdatasync error: nothing is acknowledged again until restart.
    let hasSyncFailed = Atomic<Bool>(false)

    init() {}

    /// Where the record at `sequence` stands.
    func state(of sequence: UInt64) -> WorkerJournal.RecordState {
        guard sequence <= resolvedThrough.load(ordering: .acquiring) else {
            return hasSyncFailed.load(ordering: .relaxed) ? .failed : .pending
        }
        guard hasFailures.load(ordering: .acquiring) else { return .durable }
        return failedRanges.withLock { ranges in ranges.contains { $0.contains(sequence) } } ? .failed : .durable
    }

    /// Marks every record up to `last` resolved: durable, or failed when `isFailure`.
    func resolve(through last: UInt64, isFailure: Bool) {
        if isFailure {
            // Batches resolve in order, so this one starts right after the previous one.
            let first = resolvedThrough.load(ordering: .relaxed) + 1
            failedRanges.withLock { ranges in
                ranges.append(first...last)
                if ranges.count > 64 { ranges.removeFirst(ranges.count - 64) }
            }
            hasFailures.store(true, ordering: .releasing)
        }
        resolvedThrough.store(last, ordering: .releasing)
    }
}
