internal import Glibc

/// Encodes responses into a fixed output buffer without allocating.
///
/// Several pipelined answers accumulate in one buffer so that they leave in one `write`.
public struct HTTPResponseWriter {
    /// The most bytes one response head (status line and headers) takes; callers keep this much
    /// room free before handling another request.
    public static let maxHeadBytes = 512

    private let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    public private(set) var count = 0

    public init(buffer: UnsafeMutableRawBufferPointer, count: Int = 0) {
        self.buffer = buffer
        self.count = count
    }

    /// Room left, in bytes.
    public var freeSpace: Int { buffer.count - count }

    /// Appends `response`.
    /// - Parameters:
    ///   - keepAlive: whether the connection stays open; false adds `Connection: close`.
    ///   - http10: whether the request was HTTP/1.0, which needs `Connection: keep-alive` to stay open.
    ///   - date: the `Date` header's value (29 bytes, IMF-fixdate), formatted once a second.
    ///   - omitsBody: true for an answer to HEAD: the head is the one GET would get, its
    ///     Content-Length included, and no content follows (RFC 9110 §9.3.2).
    /// - Returns: false when the response does not fit; nothing is written then.
    @discardableResult
    public mutating func write(_ response: HTTPResponse, keepAlive: Bool, http10: Bool, date: UnsafeRawBufferPointer,
                               omitsBody: Bool = false) -> Bool {
        let start = count
        var ok = true
        func put(_ text: StaticString) {
            guard ok else { return }
            ok = append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        func put(_ bytes: UnsafeRawBufferPointer) {
            guard ok else { return }
            ok = append(bytes)
        }
        func put(_ number: Int) {
            guard ok else { return }
            ok = appendDecimal(number)
        }
        let bodyCount: Int
        switch response.body {
        case .constant(let text): bodyCount = text.utf8CodeUnitCount
        case .text(let text): bodyCount = text.utf8.count
        }
        put(http10 ? "HTTP/1.0 " : "HTTP/1.1 ")
        put(response.status)
        put(" ")
        put(HTTPResponse.reasonPhrase(response.status))
        put("\r\nDate: ")
        put(date)
        put("\r\nContent-Type: ")
        put(response.contentType)
        put("\r\nContent-Length: ")
        put(bodyCount)
        if let retry = response.retryAfterSeconds {
            put("\r\nRetry-After: ")
            put(retry)
        }
        if let allow = response.allow {
            put("\r\nAllow: ")
            put(allow)
        }
        if !keepAlive || response.closesConnection {
            put("\r\nConnection: close")
        } else if http10 {
            put("\r\nConnection: keep-alive")
        }
        put("\r\n\r\n")
        if !omitsBody {
            switch response.body {
            case .constant(let text): put(text)
            case .text(var text): text.withUTF8 { put(UnsafeRawBufferPointer($0)) }
            }
        }
        if !ok { count = start }
        return ok
    }

    /// Appends raw bytes (e.g. `100 Continue`); false when they do not fit.
    @discardableResult
    public mutating func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count <= freeSpace else { return false }
        if let source = bytes.baseAddress, bytes.count > 0 {
            (buffer.baseAddress! + count).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
        return true
    }

    /// Appends a static string; false when it does not fit.
    @discardableResult
    public mutating func append(_ text: StaticString) -> Bool {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func appendDecimal(_ value: Int) -> Bool {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { raw in
            var position = raw.count
            var remaining = value.magnitude
            repeat {
                position -= 1
                raw[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining > 0 && position > 1
            if value < 0 {
                position -= 1
                raw[position] = UInt8(ascii: "-")
            }
            return append(UnsafeRawBufferPointer(rebasing: raw[position...]))
        }
    }

    /// Drops the first `n` bytes (they were sent), moving the rest to the front.
    public mutating func removeFirst(_ n: Int) {
        precondition(n <= count, "cannot drop more than was written")
        if n < count, let base = buffer.baseAddress {
            memmove(base, base + n, count - n)
        }
        count -= n
    }
}
