import CLinux

/// A fixed block of 64-bit counters written by exactly one thread and read by any.
///
/// Each worker (and each journal sync thread) owns its blocks, so counting on the request path
/// takes no lock and no atomic read-modify-write; a scrape sums the blocks of all threads.
public final class CounterBlock: @unchecked Sendable {
    // @unchecked Sendable: one writer, any readers, every access a relaxed atomic load or store.
    public let count: Int
    private let base: UnsafeMutablePointer<Int64>

    public init(count: Int) {
        self.count = count
        base = .allocate(capacity: count)
        base.initialize(repeating: 0, count: count)
    }

    deinit { base.deallocate() }

    /// Adds `delta` to counter `index`. Only the owning thread may call this.
    @inline(__always)
    public func add(_ index: Int, _ delta: Int64 = 1) {
        fr_counter_add(base + index, delta)
    }

    /// Counter `index`, from any thread.
    public func load(_ index: Int) -> Int64 {
        fr_counter_load(base + index)
    }
}

/// A histogram with fixed upper bounds over a `CounterBlock`: one counter per bucket, then the
/// count and the sum. Observing costs a short scan of the bounds and three counter updates.
public struct FixedHistogram: Sendable {
    /// Bucket upper bounds, ascending, in the unit observed.
    public let bounds: [Int64]
    private let block: CounterBlock
    private let offset: Int

    /// Counters a histogram with `bounds` occupies.
    public static func slots(_ bounds: [Int64]) -> Int { bounds.count + 3 }

    public init(bounds: [Int64], block: CounterBlock, offset: Int) {
        self.bounds = bounds
        self.block = block
        self.offset = offset
    }

    @inline(__always)
    public func observe(_ value: Int64) {
        var bucket = bounds.count  // +Inf
        for (index, bound) in bounds.enumerated() where value <= bound {
            bucket = index
            break
        }
        block.add(offset + bucket)
        block.add(offset + bounds.count + 1)
        block.add(offset + bounds.count + 2, value)
    }

    /// Per-bucket counts (not cumulative; the last is +Inf), the count and the sum.
    public func snapshot() -> (buckets: [Int64], count: Int64, sum: Int64) {
        ((0...bounds.count).map { block.load(offset + $0) }, block.load(offset + bounds.count + 1), block.load(offset + bounds.count + 2))
    }
}
