internal import Glibc

/// Wall-clock time in whole Unix seconds, as JWT `exp` and `iat` use it.
public enum UnixTime {
    /// The current time from `CLOCK_REALTIME`.
    @Sendable public static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec)
    }

    /// The current time in milliseconds from `CLOCK_REALTIME`.
    public static func nowMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}
