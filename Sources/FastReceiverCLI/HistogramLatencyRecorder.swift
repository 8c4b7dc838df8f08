internal import FastReceiverTools
internal import Histogram

/// Records load-run latencies in an HDR histogram: constant memory and time per value, three
/// significant digits up to one hour (longer values count as one hour).
struct HistogramLatencyRecorder: LatencyRecorder {
    static let highestTrackableMicroseconds: UInt64 = 3_600_000_000
    private(set) var histogram = Histogram<UInt64>(highestTrackableValue: highestTrackableMicroseconds, numberOfSignificantValueDigits: .three)

    mutating func record(microseconds: UInt64) {
        _ = histogram.record(min(microseconds, Self.highestTrackableMicroseconds))
    }

    func microseconds(atPercentile percentile: Double) -> UInt64 {
        histogram.totalCount == 0 ? 0 : histogram.valueAtPercentile(percentile)
    }

    var maxMicroseconds: UInt64 { histogram.totalCount == 0 ? 0 : histogram.maxRecorded }
}
