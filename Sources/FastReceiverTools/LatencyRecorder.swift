/// Where a load run records each answer's latency, in microseconds.
///
/// A protocol so that the library needs no histogram package: `fast-receiver send` records into an
/// HDR histogram, tests into whatever is simplest to check.
public protocol LatencyRecorder {
    /// Records one latency.
    mutating func record(microseconds: UInt64)
    /// The smallest recorded value that `percentile` percent of the values are at or below; 0 when empty.
    func microseconds(atPercentile percentile: Double) -> UInt64
    /// The largest recorded value; 0 when empty.
    var maxMicroseconds: UInt64 { get }
}

/// The latency percentiles a load report shows, in microseconds.
public struct LatencyPercentiles: Sendable, Equatable {
    public var p50: UInt64
    public var p90: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var max: UInt64

    public init(p50: UInt64, p90: UInt64, p99: UInt64, p999: UInt64, max: UInt64) {
        (self.p50, self.p90, self.p99, self.p999, self.max) = (p50, p90, p99, p999, max)
    }

    public init(_ recorder: some LatencyRecorder) {
        self.init(p50: recorder.microseconds(atPercentile: 50), p90: recorder.microseconds(atPercentile: 90),
                  p99: recorder.microseconds(atPercentile: 99), p999: recorder.microseconds(atPercentile: 99.9),
                  max: recorder.maxMicroseconds)
    }
}
