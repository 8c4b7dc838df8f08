import Glibc

/// Milliseconds from `CLOCK_MONOTONIC`, for deadlines that wall-clock jumps must not move.
enum MonotonicClock {
    /// Microseconds from `CLOCK_MONOTONIC` (precise; a vDSO call, no system call).
    static func microseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1_000_000 + time.tv_nsec / 1000
    }

    static func milliseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &time)
        return time.tv_sec * 1000 + time.tv_nsec / 1_000_000
    }
}
