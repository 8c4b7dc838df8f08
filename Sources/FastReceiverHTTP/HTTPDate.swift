internal import Glibc

/// The `Date` header's value (IMF-fixdate, RFC 9110 §5.6.7), formatted at most once a second.
public struct HTTPDate {
    private var second: Int = -1
    private var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// IMF-fixdate is always 29 bytes: "Sun, 06 Nov 1994 08:49:37 GMT".
    public static let length = 29

    public init() {}

    /// Calls `body` with the formatted date for Unix time `now`.
    public mutating func withBytes<R>(at now: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if now != second {
            second = now
            format(now)
        }
        return withUnsafeBytes(of: &text) { body(UnsafeRawBufferPointer(rebasing: $0[..<Self.length])) }
    }

    private mutating func format(_ now: Int) {
        var time = time_t(now)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        withUnsafeMutableBytes(of: &text) { raw in
            var position = 0
            func put(_ s: StaticString) {
                for index in 0..<s.utf8CodeUnitCount {
                    raw[position] = s.utf8Start[index]
                    position += 1
                }
            }
            func two(_ value: Int32) {
                raw[position] = UInt8(ascii: "0") + UInt8(value / 10 % 10)
                raw[position + 1] = UInt8(ascii: "0") + UInt8(value % 10)
                position += 2
            }
            put(days[Int(parts.tm_wday) % 7]); put(", ")
            two(parts.tm_mday); put(" ")
            put(months[Int(parts.tm_mon) % 12]); put(" ")
            let year = parts.tm_year + 1900
            two(year / 100); two(year % 100); put(" ")
            two(parts.tm_hour); put(":"); two(parts.tm_min); put(":"); two(parts.tm_sec); put(" GMT")
        }
    }
}
