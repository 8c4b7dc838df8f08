public import Synchronization

/// A fixed block of 64-bit counters written by exactly one thread and read by any.
///
/// Each worker (and each journal sync thread) owns its blocks, so counting on the request path
/// takes no lock and no atomic read-modify-write: a relaxed load and a relaxed store, which
/// compile to one `add` to memory without a `lock` prefix, as the same C11 atomics do. A scrape
/// sums the blocks of all threads.
public final class CounterBlock: @unchecked Sendable {
    // @unchecked Sendable: the pointer is never reassigned, and its counters are atomics that only the owning thread writes.
    public let count: Int
    @usableFromInline let counters: UnsafeMutablePointer<Atomic<Int64>>

    public init(count: Int) {
        self.count = count
        counters = .allocate(capacity: count)
        for index in 0..<count { (counters + index).initialize(to: Atomic(0)) }
    }

    deinit {
        counters.deinitialize(count: count)
        counters.deallocate()
    }

    /// Adds `delta` to counter `index`. Only the owning thread may call this.
    @inlinable @inline(__always)
    public func add(_ index: Int, _ delta: Int64 = 1) {
        let counter = counters + index
        counter.pointee.store(counter.pointee.load(ordering: .relaxed) &+ delta, ordering: .relaxed)
    }

    /// Counter `index`, from any thread.
    public func load(_ index: Int) -> Int64 {
        counters[index].load(ordering: .relaxed)
    }
}
