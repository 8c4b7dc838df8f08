public import FastReceiverMetrics

/// What one worker thread counts about the requests it serves: responses by status, bytes
/// received, large buffers in use, and request latency. Written only by that worker.
public final class WorkerMetrics: Sendable {
    /// The statuses counted one by one; anything else counts as "other".
    public static let statuses = [200, 400, 401, 404, 405, 408, 413, 415, 417, 431, 500, 501, 503, 505]

    @usableFromInline static let statusBase = 0
    @usableFromInline static let bytesIndex = statuses.count + 1
    @usableFromInline static let largeBuffersIndex = bytesIndex + 1
    private static let latencyBase = largeBuffersIndex + 1

    @usableFromInline let block: CounterBlock
    /// Time from a request's first byte to its answer being queued, in microseconds.
    public let latency: FixedHistogram

    public init() {
        block = CounterBlock(count: Self.latencyBase + FixedHistogram.slots(FixedHistogram.microsecondBounds))
        latency = FixedHistogram(bounds: FixedHistogram.microsecondBounds, block: block, offset: Self.latencyBase)
    }

    @inlinable @inline(__always)
    func countResponse(status: Int) {
        var index = Self.statuses.count
        switch status {
        case 200: index = 0
        case 401: index = 2
        default:
            if let position = Self.statuses.firstIndex(of: status) { index = position }
        }
        block.add(Self.statusBase + index)
    }

    @inlinable
    func countBytesReceived(_ bytes: Int) { block.add(Self.bytesIndex, Int64(bytes)) }
    /// A connection took a large input buffer (`taken`) or gave one back.
    @inlinable
    func countLargeBuffer(taken: Bool) { block.add(Self.largeBuffersIndex, taken ? 1 : -1) }

    /// Responses sent with `statuses[position]`, or with any other status at `statuses.count`.
    public func responses(at position: Int) -> Int64 { block.load(Self.statusBase + position) }
    /// Bytes read from clients.
    public var bytesReceived: Int64 { block.load(Self.bytesIndex) }
    /// Large input buffers held now.
    public var largeBuffersInUse: Int64 { block.load(Self.largeBuffersIndex) }
}
