public import Synchronization

/// Whether the server is draining for shutdown: begun once by `HTTPServer.shutdown()`, read by
/// every worker each loop turn and by a handler that must refuse new work while draining. An
/// atomic, no lock.
public final class DrainState: Sendable {
    @usableFromInline let draining = Atomic<Bool>(false)

    public init() {}

    /// True once a shutdown has begun.
    @inlinable
    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// Begins draining; there is no way back.
    public func begin() { draining.store(true, ordering: .relaxed) }
}
