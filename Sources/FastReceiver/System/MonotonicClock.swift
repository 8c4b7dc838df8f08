import Glibc

/// Milliseconds from `CLOCK_MONOTONIC`, for deadlines that wall-clock jumps must not move.
enum MonotonicClock {
    static func milliseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &time)
        return time.tv_sec * 1000 + time.tv_nsec / 1_000_000
    }
}
