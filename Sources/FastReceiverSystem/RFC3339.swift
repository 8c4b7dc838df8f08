internal import Glibc

/// `2026-11-29T04:33:41.123Z`: RFC 3339 in UTC with milliseconds, as the journal, the logs and
/// DT's own timestamps write time. Formatted with `gmtime_r`, so it is safe on any thread.
public enum RFC3339 {
    /// The Unix milliseconds RFC 3339 can write: its years have four digits, so
    /// 0000-01-01T00:00:00.000Z through 9999-12-31T23:59:59.999Z.
    public static let representableMilliseconds: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999

    /// The time as RFC 3339. A time outside `representableMilliseconds` (only a damaged or
    /// crafted value can be) is written as the nearest end of that range; callers that must be
    /// faithful check the range first.
    public static func string(unixMilliseconds: Int64) -> String {
        let clamped = min(max(unixMilliseconds, representableMilliseconds.lowerBound), representableMilliseconds.upperBound)
        // Floor division, so that times before 1970 keep a positive millisecond part.
        let milliseconds = (clamped % 1000 + 1000) % 1000
        var seconds = time_t((clamped - milliseconds) / 1000)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "0000-01-01T00:00:00.000Z" }
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
    package static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
