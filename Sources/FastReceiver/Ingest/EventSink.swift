import Glibc

/// Where accepted events go. Until the journal stores them, each accepted event is written to
/// standard output as one JSON line: `{"receivedAt":"…","eventId":"…","event":<body>}`.
public final class EventSink {
    private var line: UnsafeMutableRawBufferPointer
    private let descriptor: Int32

    /// - Parameter descriptor: where lines go; standard output by default.
    public init(descriptor: Int32 = STDOUT_FILENO) {
        self.descriptor = descriptor
        self.line = .allocate(byteCount: 4096, alignment: 8)
    }

    deinit { line.deallocate() }

    /// Writes one event line in a single `write`, so lines from several workers never interleave.
    /// Newlines inside the body (JSON whitespace) become spaces to keep one event per line.
    public func accept(body: UnsafeRawBufferPointer, eventID: UnsafeRawBufferPointer?, receivedAt: Int64) {
        let needed = body.count + (eventID?.count ?? 0) + 96
        if needed > line.count {
            line.deallocate()
            line = .allocate(byteCount: needed, alignment: 8)
        }
        var writer = HTTPResponseWriter(buffer: line)
        writer.append("{\"receivedAt\":\"")
        var stamp = RFC3339Timestamp()
        stamp.withBytes(seconds: receivedAt) { writer.append($0) }
        writer.append("\",\"eventId\":")
        if let eventID {
            writer.append("\"")
            writer.append(eventID)
            writer.append("\"")
        } else {
            writer.append("null")
        }
        writer.append(",\"event\":")
        let bodyStart = writer.count
        writer.append(body)
        for index in bodyStart..<writer.count where line[index] == 0x0A || line[index] == 0x0D {
            line[index] = 0x20
        }
        writer.append("}\n")
        var offset = 0
        while offset < writer.count {
            let written = Glibc.write(descriptor, line.baseAddress! + offset, writer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}

/// `2026-11-29T04:33:41Z`: RFC 3339 in UTC, to the second.
struct RFC3339Timestamp {
    private var text: (UInt64, UInt64, UInt64) = (0, 0, 0)

    mutating func withBytes<R>(seconds: Int64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return withUnsafeMutableBytes(of: &text) { raw in
            var position = 0
            func digits(_ value: Int32, _ count: Int) {
                var divisor: Int32 = 1
                for _ in 1..<count { divisor *= 10 }
                while divisor > 0 {
                    raw[position] = UInt8(ascii: "0") + UInt8(value / divisor % 10)
                    position += 1
                    divisor /= 10
                }
            }
            func put(_ byte: Unicode.Scalar) {
                raw[position] = UInt8(ascii: byte)
                position += 1
            }
            digits(parts.tm_year + 1900, 4); put("-"); digits(parts.tm_mon + 1, 2); put("-"); digits(parts.tm_mday, 2)
            put("T"); digits(parts.tm_hour, 2); put(":"); digits(parts.tm_min, 2); put(":"); digits(parts.tm_sec, 2); put("Z")
            return body(UnsafeRawBufferPointer(rebasing: raw[..<position]))
        }
    }
}
