/// A histogram with fixed upper bounds over a `CounterBlock`: one counter per bucket, then the
/// count and the sum. Observing costs a short scan of the bounds and three counter updates.
public struct FixedHistogram: Sendable {
    /// Bucket upper bounds, ascending, in the unit observed.
    public let bounds: [Int64]
    @usableFromInline let block: CounterBlock
    @usableFromInline let offset: Int

    /// Counters a histogram with `bounds` occupies.
    public static func slots(_ bounds: [Int64]) -> Int { bounds.count + 3 }

    /// Durations from 100 µs to 10 s, in microseconds: the bounds for request and fdatasync times.
    public static let microsecondBounds: [Int64] = [100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000,
                                                    250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000]

    public init(bounds: [Int64], block: CounterBlock, offset: Int) {
        self.bounds = bounds
        self.block = block
        self.offset = offset
    }

    @inlinable @inline(__always)
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
