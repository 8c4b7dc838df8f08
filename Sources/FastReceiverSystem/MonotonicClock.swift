internal import Glibc

/// Readings of `CLOCK_MONOTONIC`, for deadlines and durations that wall-clock jumps must not move.
public enum MonotonicClock {
    /// Microseconds from `CLOCK_MONOTONIC` (precise; a vDSO call, no system call).
    public static func microseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1_000_000 + time.tv_nsec / 1000
    }

    /// Milliseconds from the coarse clock (a few ms resolution, cheapest to read): timeouts.
    public static func milliseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &time)
        return time.tv_sec * 1000 + time.tv_nsec / 1_000_000
    }

    /// Nanoseconds from the precise clock: latencies and send schedules.
    public static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
