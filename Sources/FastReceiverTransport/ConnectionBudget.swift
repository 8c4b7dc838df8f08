internal import Synchronization

/// The process-wide connection count, shared by all workers through one atomic: at the limit a
/// worker stops accepting and new connections wait in the kernel's listen backlog.
public final class ConnectionBudget: Sendable {
    public let limit: Int
    private let open = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = limit
    }

    /// Claims one connection; false at the limit.
    @usableFromInline
    func claim() -> Bool {
        let previous = open.wrappingAdd(1, ordering: .relaxed).oldValue
        if previous >= limit {
            open.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    @usableFromInline
    func release() {
        open.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Connections open now, across all workers.
    public var current: Int { open.load(ordering: .relaxed) }
}
