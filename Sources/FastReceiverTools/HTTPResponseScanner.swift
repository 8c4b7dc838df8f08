internal import FastReceiverHTTP

/// Finds the responses in a stream of HTTP/1.1 response bytes, reading only what a load
/// generator needs: the status code, `Content-Length` (to skip the body unread) and whether the
/// server will close the connection.
///
/// Interim `1xx` responses are skipped. A body must be framed by `Content-Length` (absent means
/// empty): FastReceiver never sends chunked bodies, so `Transfer-Encoding` is refused rather than
/// parsed. A pure value: feed it bytes as they arrive, in pieces of any size.
public struct HTTPResponseScanner: Sendable {
    /// One complete response.
    public struct Response: Sendable, Equatable {
        public var status: Int
        /// `Connection: close`, or HTTP/1.0 without `Connection: keep-alive`.
        public var closesConnection: Bool

        public init(status: Int, closesConnection: Bool) {
            self.status = status
            self.closesConnection = closesConnection
        }
    }

    /// Why the bytes are not a response this scanner can frame.
    public enum ScanError: Error, Sendable, Equatable, CustomStringConvertible {
        case headTooLarge(limit: Int)
        case malformedStatusLine
        case malformedContentLength
        case transferEncodingNotSupported

        public var description: String {
            switch self {
            case .headTooLarge(let limit): "the response head is larger than \(limit) bytes"
            case .malformedStatusLine: "the response does not start with an HTTP/1.x status line"
            case .malformedContentLength: "the response's Content-Length is not a decimal number"
            case .transferEncodingNotSupported: "the response uses Transfer-Encoding, which this client does not decode"
            }
        }
    }

    /// The largest response head (status line and header fields) accepted, in bytes; default 16 KiB.
    public let maxHeadBytes: Int
    /// Head bytes received so far (they may arrive split across reads).
    private var head: [UInt8] = []
    /// The response whose body is being skipped, and how many body bytes are still to come.
    private var pending: Response?
    private var bodyRemaining = 0

    public init(maxHeadBytes: Int = 16 * 1024) {
        self.maxHeadBytes = maxHeadBytes
        head.reserveCapacity(512)
    }

    /// Whether no response is partly received.
    public var isBetweenResponses: Bool { head.isEmpty && pending == nil }

    /// Consumes `bytes`, calling `onResponse` for each response they complete, in order.
    /// - Throws: `ScanError` when the bytes cannot be framed; the connection is then unusable.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer, onResponse: (Response) -> Void) throws(ScanError) {
        var index = 0
        while index < bytes.count {
            if let response = pending {
                let skipped = min(bodyRemaining, bytes.count - index)
                bodyRemaining -= skipped
                index += skipped
                if bodyRemaining == 0 {
                    pending = nil
                    onResponse(response)
                }
                continue
            }
            let searchFrom = max(head.count - 3, 0)
            head.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index...]))
            guard let headEnd = Self.endOfHead(in: head, from: searchFrom) else {
                if head.count > maxHeadBytes { throw .headTooLarge(limit: maxHeadBytes) }
                return
            }
            // The head's terminator lies in the bytes just appended, so whatever follows it does too.
            index = bytes.count - (head.count - headEnd)
            let (response, contentLength) = try Self.parse(head[..<headEnd])
            head.removeAll(keepingCapacity: true)
            if (100..<200).contains(response.status) { continue }
            if contentLength == 0 {
                onResponse(response)
            } else {
                pending = response
                bodyRemaining = contentLength
            }
        }
    }

    /// The index just past the first `CRLF CRLF` at or after `start`, if there is one.
    private static func endOfHead(in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = start
        while index + 3 < bytes.count {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 { return index + 4 }
            index += 1
        }
        return nil
    }

    /// Reads the status code and the three header fields that matter from a complete head,
    /// without copying it.
    private static func parse(_ head: ArraySlice<UInt8>) throws(ScanError) -> (Response, contentLength: Int) {
        var contentLength = 0
        var closes = false
        var keepAlive = false
        var lineStart = head.startIndex
        var isStatusLine = true
        var isHTTP10 = false
        var status = 0
        while lineStart < head.endIndex {
            var lineEnd = lineStart
            while lineEnd < head.endIndex, head[lineEnd] != 10 { lineEnd += 1 }
            let next = lineEnd + 1
            if lineEnd > lineStart, head[lineEnd - 1] == 13 { lineEnd -= 1 }
            let line = head[lineStart..<lineEnd]
            lineStart = next
            if isStatusLine {
                // "HTTP/1.x NNN", reason optional.
                guard line.count >= 12, line.starts(with: httpPrefix), line[line.startIndex + 8] == UInt8(ascii: " "),
                      let code = decimal(line.dropFirst(9).prefix(3)), line.count == 12 || line[line.startIndex + 12] == UInt8(ascii: " ")
                else { throw .malformedStatusLine }
                status = code
                isHTTP10 = line[line.startIndex + 7] == UInt8(ascii: "0")
                isStatusLine = false
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = line[..<colon]
            let value = trimmed(line[(colon + 1)...])
            if equalsIgnoringCase(name, "content-length") {
                guard let length = decimal(value) else { throw .malformedContentLength }
                contentLength = length
            } else if equalsIgnoringCase(name, "transfer-encoding") {
                throw .transferEncodingNotSupported
            } else if equalsIgnoringCase(name, "connection") {
                var rest = value[...]
                while !rest.isEmpty {
                    let comma = rest.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
                    let token = trimmed(rest[..<comma])
                    if equalsIgnoringCase(token, "close") { closes = true }
                    if equalsIgnoringCase(token, "keep-alive") { keepAlive = true }
                    rest = comma < rest.endIndex ? rest[(comma + 1)...] : rest[rest.endIndex...]
                }
            }
        }
        guard !isStatusLine else { throw .malformedStatusLine }
        return (Response(status: status, closesConnection: closes || (isHTTP10 && !keepAlive)), contentLength)
    }

    private static let httpPrefix: [UInt8] = Array("HTTP/1.".utf8)

    /// A non-empty run of at most 18 ASCII digits as a number.
    private static func decimal(_ digits: some Collection<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == 32 || first == 9 { slice.removeFirst() }
        while let last = slice.last, last == 32 || last == 9 { slice.removeLast() }
        return slice
    }

    /// Whether `bytes` spell `name`, ASCII letters compared without regard to case (the HTTP
    /// layer's one comparison).
    private static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ name: StaticString) -> Bool {
        bytes.withUnsafeBytes { $0.equalsIgnoringCase($0.indices, name) }
    }
}
