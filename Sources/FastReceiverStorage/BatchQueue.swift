internal import Dispatch
internal import Synchronization

/// Where a worker's event loop and its journal's sync thread meet: the records appended since
/// the sync thread last took a batch, behind one `Mutex` that only those two threads take.
///
/// The event loop appends; the sync thread takes everything appended so far in one swap of two
/// `JournalBatch`es. When the sync thread finds nothing to take it sleeps on a semaphore, and the
/// next append wakes it; while a sync runs, appends only add to the pending batch.
final class BatchQueue: Sendable {
    private struct State: ~Copyable {
        var pending: JournalBatch
        /// The sync thread sleeps until the next append: only then does an append wake it.
        var isSyncIdle = false
        var isStopping = false
    }

    private let state: Mutex<State>
    private let wakeup = DispatchSemaphore(value: 0)

    /// - Parameter capacity: bytes a pending batch holds at most.
    init(capacity: Int) {
        state = Mutex(State(pending: JournalBatch(capacity: capacity)))
    }

    /// Adds a record to the pending batch (event loop).
    /// - Returns: false when the record does not fit until the sync thread takes the batch.
    func append(receivedAtMilliseconds: Int64, eventID: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer,
                sequence: UInt64, key: EventKey?) -> Bool {
        let (isAppended, wakesSync) = state.withLock { state in
            guard state.pending.append(receivedAtMilliseconds: receivedAtMilliseconds, eventID: eventID, body: body,
                                       sequence: sequence, key: key) else { return (false, false) }
            let wakesSync = state.isSyncIdle
            state.isSyncIdle = false
            return (true, wakesSync)
        }
        if wakesSync { wakeup.signal() }
        return isAppended
    }

    /// Swaps the pending batch with `batch`, which must be empty, after waiting up to `seconds`
    /// for a record when there is none (sync thread).
    /// - Returns: true once `stop()` was called and nothing is left to take: the last call.
    func take(into batch: inout JournalBatch, waitingAtMost seconds: Double) -> Bool {
        let waits = state.withLock { state in
            guard state.pending.isEmpty, !state.isStopping else { return false }
            state.isSyncIdle = true
            return true
        }
        if waits { _ = wakeup.wait(timeout: .now() + seconds) }
        return state.withLock { state in
            state.isSyncIdle = false
            let isLast = state.isStopping && state.pending.isEmpty
            swap(&state.pending, &batch)
            return isLast
        }
    }

    /// Lets the sync thread take what is pending one last time, then stop.
    func stop() {
        state.withLock { $0.isStopping = true }
        wakeup.signal()
    }
}
