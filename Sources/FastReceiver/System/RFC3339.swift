import Glibc

/// `2026-11-29T04:33:41.123Z`: RFC 3339 in UTC with milliseconds, as the journal, the logs and
/// DT's own timestamps write time. Formatted with `gmtime_r`, so it is safe on any thread.
public enum RFC3339 {
    public static func string(unixMilliseconds: Int64) -> String {
        let milliseconds = unixMilliseconds >= 0 ? unixMilliseconds % 1000 : (1000 + unixMilliseconds % 1000) % 1000
        var seconds = time_t((unixMilliseconds - milliseconds) / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return padded(Int(parts.tm_year) + 1900, 4) + "-" + padded(Int(parts.tm_mon) + 1, 2) + "-"
            + padded(Int(parts.tm_mday), 2) + "T" + padded(Int(parts.tm_hour), 2) + ":"
            + padded(Int(parts.tm_min), 2) + ":" + padded(Int(parts.tm_sec), 2) + "."
            + padded(Int(milliseconds), 3) + "Z"
    }

    /// The current time.
    public static func now() -> String {
        string(unixMilliseconds: UnixTime.nowMilliseconds())
    }

    /// `value` in decimal, left-padded with zeros to `width` digits.
    static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
