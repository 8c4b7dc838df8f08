public import Synchronization

/// Whether storage can take events: written by every worker journal's sync thread and by
/// retention, read by the readiness check and the request path. Atomics, no lock.
public final class StorageHealth: Sendable {
    private let failures = Atomic<Int>(0)
    @usableFromInline let full = Atomic<Bool>(false)

    public init() {}

    /// True while any worker's journal cannot take events (disk full, I/O error), or the journal
    /// has reached `--journal-max-bytes`.
    public var isFailed: Bool { failures.load(ordering: .relaxed) > 0 || isFull }

    /// True while the journal holds `--journal-max-bytes` or more: new events are refused until
    /// forwarding and retention free space.
    @inlinable
    public var isFull: Bool { full.load(ordering: .relaxed) }

    /// Retention measured the journal against its cap.
    func setFull(_ isFull: Bool) { full.store(isFull, ordering: .relaxed) }

    /// A journal stopped taking events; balanced by `recovered()` if it heals.
    func failed() { failures.wrappingAdd(1, ordering: .relaxed) }

    /// A journal that had failed takes events again.
    func recovered() { failures.wrappingSubtract(1, ordering: .relaxed) }
}
