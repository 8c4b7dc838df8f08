public import FastReceiverMetrics

/// One journal sync thread's counters: fdatasync latency and group-commit batch sizes.
public final class JournalMetrics: Sendable {
    /// Batch size bucket bounds, in records.
    public static let batchBounds: [Int64] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192]

    let block: CounterBlock
    /// fdatasync duration in microseconds.
    public let syncLatency: FixedHistogram
    /// Records per committed batch.
    public let batchSize: FixedHistogram

    public init() {
        let latencySlots = FixedHistogram.slots(FixedHistogram.microsecondBounds)
        block = CounterBlock(count: latencySlots + FixedHistogram.slots(Self.batchBounds))
        syncLatency = FixedHistogram(bounds: FixedHistogram.microsecondBounds, block: block, offset: 0)
        batchSize = FixedHistogram(bounds: Self.batchBounds, block: block, offset: latencySlots)
    }
}
