import Testing

@testable import FastReceiverHTTP

/// Each limit is tested at exactly its value (accepted) and one past it (refused), fed whole and
/// one byte at a time so that the refusal is shown not to depend on how the bytes arrive.
@Suite struct HTTPRequestParserLimitsTests {
    /// A GET whose head is exactly `size` bytes, padded in one field value.
    static func get(headBytes size: Int) -> String {
        let prefix = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: "
        let suffix = "\r\n\r\n"
        return prefix + String(repeating: "p", count: size - prefix.utf8.count - suffix.utf8.count) + suffix
    }

    /// A chunked POST whose chunk lines carry extension padding so that its framing is `framing` bytes.
    static func chunkedPost(head: String = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                            data: String, framing: Int, trailers: String = "") -> String {
        let size = String(data.utf8.count, radix: 16)
        // "size;" + padding + CRLF, then CRLF after the data, then "0" CRLF.
        let padding = framing - (size.utf8.count + 1 + 2) - 2 - 3
        return head + size + ";" + String(repeating: "e", count: padding) + "\r\n" + data + "\r\n0\r\n" + trailers + "\r\n"
    }

    func expect(_ text: String, limits: HTTPLimits, error: HTTPParseError?, sourceLocation: SourceLocation = #_sourceLocation) {
        let whole = parseConnection(text, limits: limits)
        #expect(whole.error == error, sourceLocation: sourceLocation)
        #expect(whole.requests.count == (error == nil ? 1 : 0), sourceLocation: sourceLocation)
        #expect(parseConnection(text, limits: limits, cuts: 1...text.utf8.count) == whole, sourceLocation: sourceLocation)
    }

    @Test func headerBytes() {
        let limits = HTTPLimits(maxHeaderBytes: 200)
        expect(Self.get(headBytes: 200), limits: limits, error: nil)
        expect(Self.get(headBytes: 201), limits: limits, error: .headerSectionTooLarge(limit: 200))
    }

    @Test func headerBytesDefaultLimit() {
        expect(Self.get(headBytes: 16 * 1024), limits: HTTPLimits(), error: nil)
        expect(Self.get(headBytes: 16 * 1024 + 1), limits: HTTPLimits(), error: .headerSectionTooLarge(limit: 16 * 1024))
    }

    @Test func headerBytesDoNotCountOneLeadingEmptyLine() {
        expect("\r\n" + Self.get(headBytes: 200), limits: HTTPLimits(maxHeaderBytes: 200), error: nil)
    }

    @Test func refusesAnUnfinishedHeadAsSoonAsTheLimitIsReached() {
        let limits = HTTPLimits(maxHeaderBytes: 64)
        let endless = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 200)
        let prefix = String(endless.utf8.prefix(63))!
        #expect(parseConnection(prefix, limits: limits).error == nil)
        let atLimit = String(endless.utf8.prefix(64))!
        #expect(parseConnection(atLimit, limits: limits).error == .headerSectionTooLarge(limit: 64))
    }

    @Test func requestLineAloneOverTheLimit() {
        let target = "/" + String(repeating: "a", count: 16 * 1024)
        expect("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n", limits: HTTPLimits(), error: .headerSectionTooLarge(limit: 16 * 1024))
    }

    @Test func headerCount() {
        let limits = HTTPLimits(maxHeaderCount: 5)
        let fields = (1...4).map { "X-\($0): v\r\n" }.joined()
        expect("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n", limits: limits, error: nil)
        expect("GET / HTTP/1.1\r\nHost: a\r\n\(fields)X-5: v\r\n\r\n", limits: limits, error: .tooManyFields(limit: 5))
    }

    @Test func headerCountDefaultLimit() {
        let fields = (1...99).map { "X-\($0): v\r\n" }.joined()
        expect("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n", limits: HTTPLimits(), error: nil)
        expect("GET / HTTP/1.1\r\nHost: a\r\n\(fields)X: v\r\n\r\n", limits: HTTPLimits(), error: .tooManyFields(limit: 100))
    }

    @Test func trailerFieldsCountAgainstTheHeaderCount() {
        let limits = HTTPLimits(maxHeaderCount: 4)
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        expect(head + "1\r\na\r\n0\r\nT-1: v\r\nT-2: v\r\n\r\n", limits: limits, error: nil)
        expect(head + "1\r\na\r\n0\r\nT-1: v\r\nT-2: v\r\nT-3: v\r\n\r\n", limits: limits, error: .tooManyFields(limit: 4))
    }

    @Test func trailerBytesShareTheHeaderByteLimit() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let trailer = "T: 12345\r\n"
        let limits = HTTPLimits(maxHeaderBytes: head.utf8.count + trailer.utf8.count)
        expect(head + "1\r\na\r\n0\r\n" + trailer + "\r\n", limits: limits, error: nil)
        expect(head + "1\r\na\r\n0\r\n" + "T: 123456\r\n\r\n", limits: limits, error: .trailerSectionTooLarge(limit: trailer.utf8.count))
    }

    @Test func headAtTheLimitLeavesRoomForTheEmptyTrailerSection() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let limits = HTTPLimits(maxHeaderBytes: head.utf8.count)
        expect(head + "1\r\na\r\n0\r\n\r\n", limits: limits, error: nil)
        expect(head + "1\r\na\r\n0\r\nT: v\r\n\r\n", limits: limits, error: .trailerSectionTooLarge(limit: 0))
    }

    @Test func bodyViaContentLength() {
        let limits = HTTPLimits(maxBodyBytes: 10)
        expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits, error: nil)
        expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n0123456789a", limits: limits, error: .bodyTooLarge(limit: 10))
    }

    @Test func bodyViaContentLengthDefaultLimit() {
        let body = String(repeating: "b", count: 1 << 20)
        let outcome = parseConnection("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(1 << 20)\r\n\r\n" + body)
        #expect(outcome.error == nil)
        #expect(outcome.requests.first?.body.count == 1 << 20)
        #expect(parseConnection("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \((1 << 20) + 1)\r\n\r\n").error == .bodyTooLarge(limit: 1 << 20))
    }

    @Test func bodyViaChunks() {
        let limits = HTTPLimits(maxBodyBytes: 10)
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        expect(head + "4\r\n0123\r\n6\r\n456789\r\n0\r\n\r\n", limits: limits, error: nil)
        expect(head + "4\r\n0123\r\n7\r\n456789a\r\n0\r\n\r\n", limits: limits, error: .bodyTooLarge(limit: 10))
        expect(head + "A\r\n0123456789\r\n0\r\n\r\n", limits: limits, error: nil)
        expect(head + "B\r\n0123456789a\r\n0\r\n\r\n", limits: limits, error: .bodyTooLarge(limit: 10))
    }

    @Test func bodyViaChunksDefaultLimit() {
        let half = String(repeating: "c", count: 1 << 19)
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let outcome = parseConnection(head + "80000\r\n\(half)\r\n80000\r\n\(half)\r\n0\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.requests.first?.body.count == 1 << 20)
        #expect(parseConnection(head + "80000\r\n\(half)\r\n80001\r\n").error == .bodyTooLarge(limit: 1 << 20))
    }

    /// The framing budget is `maxHeaderBytes + 8 × maxBodyBytes`: here 100 + 80.
    @Test func chunkFramingBytes() {
        let limits = HTTPLimits(maxHeaderBytes: 100, maxBodyBytes: 10)
        #expect(limits.maxChunkFramingBytes == 180)
        expect(Self.chunkedPost(data: "abc", framing: 180), limits: limits, error: nil)
        expect(Self.chunkedPost(data: "abc", framing: 181), limits: limits, error: .chunkFramingTooLarge(limit: 180))
        #expect(HTTPLimits().maxChunkFramingBytes == 16 * 1024 + 8 * (1 << 20))
        #expect(HTTPLimits(maxHeaderBytes: 1, maxHeaderCount: 1, maxBodyBytes: .max / 4).maxChunkFramingBytes == .max)
    }

    /// One chunk per byte: the smallest chunks there are, for a body of exactly the limit.
    static func oneByteChunks(count: Int, extensionBytes: Int = 0) -> String {
        let chunk = "1" + (extensionBytes > 0 ? ";" + String(repeating: "e", count: extensionBytes - 1) : "") + "\r\nd\r\n"
        return "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: chunk, count: count) + "0\r\n\r\n"
    }

    /// However a body within the limit is chunked, it is accepted, even a 200 KB body in 64-byte
    /// chunks with the default limits, whose framing is far more than the head limit.
    @Test func anyChunkingWithinTheBodyLimit() throws {
        let limits = HTTPLimits(maxHeaderBytes: 128, maxHeaderCount: 4, maxBodyBytes: 64)
        expect(Self.oneByteChunks(count: 64), limits: limits, error: nil)
        expect(Self.oneByteChunks(count: 64, extensionBytes: 3), limits: limits, error: nil)
        expect(Self.oneByteChunks(count: 65), limits: limits, error: .bodyTooLarge(limit: 64))

        let data = String(repeating: "x", count: 64)
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let text = head + String(repeating: "40\r\n\(data)\r\n", count: 3200) + "0\r\n\r\n"
        let outcome = parseConnection(text, cuts: stride(from: 1000, to: text.utf8.count, by: 1000), compactsFraming: true)
        #expect(outcome.error == nil)
        #expect(outcome.requests.first?.body.count == 3200 * 64)
    }

    /// A request that uses every limit to the byte (a leading empty line, head and trailers filling
    /// the header limit, a body of one-byte chunks filling the body and framing limits) is read one
    /// byte at a time with its framing compacted: the harness checks that the bytes it keeps
    /// always leave room in a buffer of `maxRequestBytes`.
    @Test func maxRequestBytesHoldsEveryAcceptedRequest() throws {
        let limits = HTTPLimits(maxHeaderBytes: 128, maxHeaderCount: 4, maxBodyBytes: 64)
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let trailerPadding = 128 - head.utf8.count - "T: \r\n".utf8.count
        let trailers = "T: " + String(repeating: "t", count: trailerPadding) + "\r\n"
        // 64 one-byte chunks of 8 framing bytes each, plus "0" CRLF and padding: the whole budget.
        let chunk = "1;ee\r\nd\r\n"
        let lastPadding = limits.maxChunkFramingBytes - 64 * 8 - 3
        let body = String(repeating: chunk, count: 64) + "0;" + String(repeating: "e", count: lastPadding - 1) + "\r\n"
        let text = "\r\n" + head + body + trailers + "\r\n"
        let outcome = parseConnection(text, limits: limits, cuts: 1...text.utf8.count, compactsFraming: true)
        #expect(outcome.error == nil)
        #expect(outcome.requests.first?.body == Array(String(repeating: "d", count: 64).utf8))
        // One byte more of framing is refused.
        let over = "\r\n" + head + String(repeating: chunk, count: 64) + "0;" + String(repeating: "e", count: lastPadding) + "\r\n" + trailers + "\r\n"
        #expect(parseConnection(over, limits: limits).error == .chunkFramingTooLarge(limit: limits.maxChunkFramingBytes))
    }

    @Test func maxRequestBytesSaturates() {
        #expect(HTTPLimits().maxRequestBytes == 4 + 2 * 16 * 1024 + (1 << 20))
        #expect(HTTPLimits(maxHeaderBytes: .max, maxHeaderCount: 1, maxBodyBytes: 1).maxRequestBytes == .max)
        #expect(HTTPLimits(maxHeaderBytes: 1, maxHeaderCount: 1, maxBodyBytes: .max).maxRequestBytes == .max)
    }
}
