import Synchronization

/// Process-wide state that every worker reads and few write: whether the service is draining
/// for shutdown, and whether storage can take events. Atomics, no locks.
public final class ServiceStatus: Sendable {
    private let draining = Atomic<Bool>(false)
    private let storageFailures = Atomic<Int>(0)

    public init() {}

    /// True once a shutdown has begun: `/readyz` answers 503, new events are refused with 503.
    public var isDraining: Bool { draining.load(ordering: .relaxed) }
    public func beginDraining() { draining.store(true, ordering: .relaxed) }

    /// True while any worker's journal cannot take events (disk full, I/O error).
    public var isStorageFailed: Bool { storageFailures.load(ordering: .relaxed) > 0 }
    /// A journal stopped taking events; balanced by `storageRecovered()` if it heals.
    public func storageFailed() { storageFailures.wrappingAdd(1, ordering: .relaxed) }
    public func storageRecovered() { storageFailures.wrappingSubtract(1, ordering: .relaxed) }

    /// Whether `/readyz` should answer 200.
    public var isReady: Bool { !isDraining && !isStorageFailed }
}
