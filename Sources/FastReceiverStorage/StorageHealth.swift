internal import Synchronization

/// Whether storage can take events: written by every worker journal's sync thread, read by the
/// readiness check. An atomic, no lock.
public final class StorageHealth: Sendable {
    private let failures = Atomic<Int>(0)

    public init() {}

    /// True while any worker's journal cannot take events (disk full, I/O error).
    public var isFailed: Bool { failures.load(ordering: .relaxed) > 0 }

    /// A journal stopped taking events; balanced by `recovered()` if it heals.
    func failed() { failures.wrappingAdd(1, ordering: .relaxed) }

    /// A journal that had failed takes events again.
    func recovered() { failures.wrappingSubtract(1, ordering: .relaxed) }
}
