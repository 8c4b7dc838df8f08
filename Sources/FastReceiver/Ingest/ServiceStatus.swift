import Synchronization

/// Process-wide state that every worker reads and few write: whether the service is draining
/// for shutdown, and whether storage can take events. Atomics, no locks.
public final class ServiceStatus: Sendable {
    private let draining = Atomic<Bool>(false)
    private let storageFailed = Atomic<Bool>(false)

    public init() {}

    /// True once a shutdown has begun: `/readyz` answers 503, new events are refused with 503.
    public var isDraining: Bool { draining.load(ordering: .relaxed) }
    public func beginDraining() { draining.store(true, ordering: .relaxed) }

    /// True while storage cannot take events (disk full, I/O error).
    public var isStorageFailed: Bool { storageFailed.load(ordering: .relaxed) }
    public func setStorageFailed(_ failed: Bool) { storageFailed.store(failed, ordering: .relaxed) }

    /// Whether `/readyz` should answer 200.
    public var isReady: Bool { !isDraining && !isStorageFailed }
}
