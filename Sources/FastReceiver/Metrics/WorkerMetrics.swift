/// One worker thread's counters: requests by status, events by outcome, refusals by reason,
/// bytes received, large buffers in use, verification and reload failures, and request latency.
/// Written only by that worker.
public final class WorkerMetrics: Sendable {
    /// The statuses counted one by one; anything else counts as "other".
    public static let statuses = [200, 400, 401, 404, 405, 408, 413, 415, 417, 431, 500, 501, 503, 505]
    /// Request latency bucket bounds, in microseconds (100 µs … 10 s).
    public static let latencyBounds: [Int64] = [100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000,
                                                250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000]

    private static let statusBase = 0
    private static let acceptedIndex = statuses.count + 1
    private static let duplicateIndex = acceptedIndex + 1
    private static let rejectionBase = duplicateIndex + 1
    private static let bytesIndex = rejectionBase + SignatureRejection.labels.count
    private static let largeBuffersIndex = bytesIndex + 1
    private static let cryptoFailuresIndex = largeBuffersIndex + 1
    private static let secretReloadFailuresIndex = cryptoFailuresIndex + 1
    private static let latencyBase = secretReloadFailuresIndex + 1

    let block: CounterBlock
    /// Time from a request's first byte to its answer being queued, in microseconds.
    public let latency: FixedHistogram

    public init() {
        block = CounterBlock(count: Self.latencyBase + FixedHistogram.slots(Self.latencyBounds))
        latency = FixedHistogram(bounds: Self.latencyBounds, block: block, offset: Self.latencyBase)
    }

    @inline(__always)
    public func countResponse(status: Int) {
        var index = Self.statuses.count
        switch status {
        case 200: index = 0
        case 401: index = 2
        default:
            if let position = Self.statuses.firstIndex(of: status) { index = position }
        }
        block.add(Self.statusBase + index)
    }

    public func countAccepted() { block.add(Self.acceptedIndex) }
    public func countDuplicate() { block.add(Self.duplicateIndex) }
    public func countRejection(_ reason: SignatureRejection) { block.add(Self.rejectionBase + reason.labelIndex) }
    public func countBytesReceived(_ bytes: Int) { block.add(Self.bytesIndex, Int64(bytes)) }
    /// A connection took a large input buffer (`taken`) or gave one back.
    public func countLargeBuffer(taken: Bool) { block.add(Self.largeBuffersIndex, taken ? 1 : -1) }
    /// OpenSSL failed while a request was verified (answered 500).
    public func countCryptoFailure() { block.add(Self.cryptoFailuresIndex) }
    /// Replaced secrets could not be loaded into this worker's verifier, which kept the old ones.
    public func countSecretReloadFailure() { block.add(Self.secretReloadFailuresIndex) }

    func responses(at position: Int) -> Int64 { block.load(Self.statusBase + position) }
    var accepted: Int64 { block.load(Self.acceptedIndex) }
    var duplicates: Int64 { block.load(Self.duplicateIndex) }
    func rejections(at position: Int) -> Int64 { block.load(Self.rejectionBase + position) }
    var bytesReceived: Int64 { block.load(Self.bytesIndex) }
    var largeBuffersInUse: Int64 { block.load(Self.largeBuffersIndex) }
    var cryptoFailures: Int64 { block.load(Self.cryptoFailuresIndex) }
    var secretReloadFailures: Int64 { block.load(Self.secretReloadFailuresIndex) }
}

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
        let latencySlots = FixedHistogram.slots(WorkerMetrics.latencyBounds)
        block = CounterBlock(count: latencySlots + FixedHistogram.slots(Self.batchBounds))
        syncLatency = FixedHistogram(bounds: WorkerMetrics.latencyBounds, block: block, offset: 0)
        batchSize = FixedHistogram(bounds: Self.batchBounds, block: block, offset: latencySlots)
    }
}
