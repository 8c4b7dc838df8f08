import Testing

@testable import FastReceiverHTTP

/// Parses `text` as the bytes of one connection, delivered in pieces ending at `cuts`.
func parseConnection(
    _ text: String,
    limits: HTTPLimits = HTTPLimits(),
    cuts: some Sequence<Int> = [],
    dropsConsumedBytes: Bool = false,
    compactsFraming: Bool = false
) -> HTTPParserHarness.Outcome {
    Array(text.utf8).withUnsafeBytes {
        HTTPParserHarness.run($0, limits: limits, cuts: cuts, dropsConsumedBytes: dropsConsumedBytes, compactsFraming: compactsFraming)
    }
}

extension HTTPParserHarness.Request {
    var targetText: String { String(decoding: target, as: UTF8.self) }
    var pathText: String { String(decoding: path, as: UTF8.self) }
    var bodyText: String { String(decoding: body, as: UTF8.self) }
    var fieldPairs: [String] {
        fields.map { "\(String(decoding: $0.name, as: UTF8.self)): \(String(decoding: $0.value, as: UTF8.self))" }
    }
}

/// A valid request and what parsing it must yield.
struct ValidRequest: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var method: HTTPMethod
    var version: HTTPVersion = .http11
    var target: String
    var path: String
    var fields: [String]
    var body: String = ""
    var isKeepAlive = true
    var expectsContinue = false
    var contentLength: Int? = nil
    var isChunked = false

    var testDescription: String { name }
}

// DT's signature and body are from DT's public integration test data (2022, SHA-1 checksum only).
let dtSignature = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjaGVja3N1bSI6IjVlM2ExZGRiNTE2ZTU1ZTdlMjc2MWYxNmE3ZWI2OGY3MWMwNmE4MmQiLCJleHAiOjE2NDE5ODQwNzIsImlhdCI6MTY0MTk4MDQ3MiwianRpIjoiYzdmYTRlNzdnZjg3ZWlmNmozdGcifQ.sAGby82i5uWE58Ce8QgeNZt50nvZoxb1wEjBJUBNEIM"
let dtBody = #"{"event":{"eventId":"c7fa4e34fet12rl646l0","targetName":"projects/c14u9p094l47cdv1o3pg/devices/emuc17m6d7lq0bgk44smcqg","eventType":"touch","data":{"touch":{"updateTime":"2022-01-12T09:41:12.108482Z"}},"timestamp":"2022-01-12T09:41:12.108482Z"},"labels":{"name":"touch"},"metadata":{"deviceId":"emuc17m6d7lq0bgk44smcqg","projectId":"c14u9p094l47cdv1o3pg","deviceType":"touch","productNumber":""}}"#

let validRequests: [ValidRequest] = [
    ValidRequest(
        name: "DT Data Connector POST",
        text: "POST / HTTP/1.1\r\nHost: receiver.example.com\r\nContent-Type: application/json\r\nX-Dt-Signature: \(dtSignature)\r\nContent-Length: \(dtBody.utf8.count)\r\nAccept-Encoding: gzip\r\n\r\n\(dtBody)",
        method: .post, target: "/", path: "/",
        fields: ["Host: receiver.example.com", "Content-Type: application/json", "X-Dt-Signature: \(dtSignature)",
                 "Content-Length: \(dtBody.utf8.count)", "Accept-Encoding: gzip"],
        body: dtBody, contentLength: dtBody.utf8.count
    ),
    ValidRequest(
        name: "chunked with extensions and trailers",
        text: "POST /events?batch=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n7;a;b=\"q; x\"\r\n, world\r\n1a\r\n abcdefghijklmnopqrstuvwxy\r\n000\r\nTrailer-One: 1\r\nX-Checksum:  abc \r\n\r\n",
        method: .post, target: "/events?batch=1", path: "/events",
        fields: ["Host: h", "Transfer-Encoding: Chunked"],
        body: "hello, world abcdefghijklmnopqrstuvwxy", isChunked: true
    ),
    ValidRequest(
        name: "chunked without trailers",
        text: "PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        method: .put, target: "/x", path: "/x", fields: ["Host: h", "Transfer-Encoding: chunked"],
        body: "abc", isChunked: true
    ),
    ValidRequest(
        name: "GET /healthz",
        text: "GET /healthz HTTP/1.1\r\nHost: localhost:8080\r\n\r\n",
        method: .get, target: "/healthz", path: "/healthz", fields: ["Host: localhost:8080"]
    ),
    ValidRequest(
        name: "HTTP/1.0 without Host",
        text: "GET /metrics HTTP/1.0\r\n\r\n",
        method: .get, version: .http10, target: "/metrics", path: "/metrics", fields: [], isKeepAlive: false
    ),
    ValidRequest(
        name: "HTTP/1.0 keep-alive with a body",
        text: "POST /e HTTP/1.0\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi",
        method: .post, version: .http10, target: "/e", path: "/e",
        fields: ["Connection: Keep-Alive", "Content-Length: 2", "Expect: 100-continue"], body: "hi", contentLength: 2
    ),
    ValidRequest(
        name: "one leading empty line",
        text: "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        method: .get, target: "/", path: "/", fields: ["Host: a"]
    ),
    ValidRequest(
        name: "absolute-form",
        text: "GET HTTP://receiver.example.com:8080/healthz?probe=1 HTTP/1.1\r\nHost: receiver.example.com:8080\r\n\r\n",
        method: .get, target: "HTTP://receiver.example.com:8080/healthz?probe=1", path: "/healthz",
        fields: ["Host: receiver.example.com:8080"]
    ),
    ValidRequest(
        name: "absolute-form without a path",
        text: "GET https://[::1]:443?q HTTP/1.1\r\nHost: [::1]:443\r\n\r\n",
        method: .get, target: "https://[::1]:443?q", path: "", fields: ["Host: [::1]:443"]
    ),
    ValidRequest(
        name: "OPTIONS *",
        text: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        method: .options, target: "*", path: "*", fields: ["Host: a"]
    ),
    ValidRequest(
        name: "100-continue and Connection: close",
        text: "POST / HTTP/1.1\r\nhost: a\r\nEXPECT: 100-Continue\r\nConnection: upgrade, Close\r\ncontent-length: 0005\r\n\r\nhello",
        method: .post, target: "/", path: "/",
        fields: ["host: a", "EXPECT: 100-Continue", "Connection: upgrade, Close", "content-length: 0005"],
        body: "hello", isKeepAlive: false, expectsContinue: true, contentLength: 5
    ),
    ValidRequest(
        name: "whitespace trimmed, empty and obs-text values, unknown method",
        text: "get /a%20b HTTP/1.1\r\nHost:\ta\t \r\nX-Empty:\r\nX-Spaces:   \r\nX-Latin: caf\u{E9}\r\nX-Inner: a  b\r\n\r\n",
        method: .other, target: "/a%20b", path: "/a%20b",
        fields: ["Host: a", "X-Empty: ", "X-Spaces: ", "X-Latin: caf\u{E9}", "X-Inner: a  b"]
    ),
]

@Suite struct HTTPRequestParserTests {
    @Test(arguments: validRequests)
    func parsesValidRequestFedWhole(_ expected: ValidRequest) throws {
        let outcome = parseConnection(expected.text)
        #expect(outcome.error == nil)
        let request = try #require(outcome.requests.first)
        #expect(outcome.requests.count == 1)
        #expect(request.method == expected.method)
        #expect(request.version == expected.version)
        #expect(request.targetText == expected.target)
        #expect(request.pathText == expected.path)
        #expect(request.fieldPairs == expected.fields)
        #expect(request.bodyText == expected.body)
        #expect(request.isKeepAlive == expected.isKeepAlive)
        #expect(request.expectsContinue == expected.expectsContinue)
        #expect(request.contentLength == expected.contentLength)
        #expect(request.isChunked == expected.isChunked)
        #expect(request.end == expected.text.utf8.count)
    }

    @Test(arguments: validRequests)
    func parsesValidRequestOneByteAtATime(_ expected: ValidRequest) {
        let whole = parseConnection(expected.text)
        let count = expected.text.utf8.count
        #expect(parseConnection(expected.text, cuts: 1...count) == whole)
        #expect(parseConnection(expected.text, cuts: 1...count, dropsConsumedBytes: true) == whole)
    }

    @Test(arguments: validRequests)
    func parsesValidRequestSplitAtEveryIndex(_ expected: ValidRequest) {
        let whole = parseConnection(expected.text)
        for split in 0...expected.text.utf8.count {
            let outcome = parseConnection(expected.text, cuts: [split])
            #expect(outcome == whole, "split at \(split)")
        }
    }

    @Test func parsesPipelinedRequests() throws {
        let requests = [
            "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\none",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n",
            "\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nthree",
            "GET /readyz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        ]
        let text = requests.joined()
        let whole = parseConnection(text)
        #expect(whole.error == nil)
        #expect(whole.requests.map(\.bodyText) == ["", "one", "two", "three", ""])
        #expect(whole.requests.map(\.pathText) == ["/healthz", "/", "/", "/", "/readyz"])
        #expect(whole.requests.map(\.isKeepAlive) == [true, true, true, true, false])
        var end = 0
        let expectedEnds = requests.map { request in
            end += request.utf8.count
            return end
        }
        #expect(whole.requests.map(\.end) == expectedEnds)
        #expect(parseConnection(text, dropsConsumedBytes: true) == whole)
        #expect(parseConnection(text, cuts: 1...text.utf8.count, dropsConsumedBytes: true) == whole)
        for split in stride(from: 0, through: text.utf8.count, by: 7) {
            #expect(parseConnection(text, cuts: [split], dropsConsumedBytes: true) == whole, "split at \(split)")
        }
    }

    @Test func waitsForTheRestOfAPipelinedRequest() {
        let outcome = parseConnection("GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc")
        #expect(outcome.requests.count == 1)
        #expect(outcome.error == nil)
    }

    @Test func reportsHeadBeforeReadingTheBody() throws {
        let head = Array("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n".utf8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 128, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: head)
        var parser = HTTPRequestParser(limits: HTTPLimits())

        #expect(parser.requiredCapacity == nil)
        #expect(parser.parse(buffer, count: head.count) == .head)
        #expect(parser.head.expectsContinue)
        #expect(parser.head.contentLength == 5)
        #expect(parser.requiredCapacity == head.count + 5)
        #expect(parser.parse(buffer, count: head.count) == .needMoreData)

        UnsafeMutableRawBufferPointer(rebasing: buffer[head.count...]).copyBytes(from: Array("hello".utf8))
        #expect(parser.parse(buffer, count: head.count + 4) == .needMoreData)
        #expect(parser.parse(buffer, count: head.count + 5) == .complete)
        #expect(parser.body == head.count..<(head.count + 5))
        #expect(parser.requestEnd == head.count + 5)
        #expect(parser.parse(buffer, count: head.count + 5) == .complete)
    }

    @Test func reportsHeadThenCompleteForABodylessRequestInOneBuffer() {
        let request = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        var bytes = request
        bytes.withUnsafeMutableBytes { buffer in
            var parser = HTTPRequestParser(limits: HTTPLimits())
            #expect(parser.parse(buffer, count: buffer.count) == .head)
            #expect(parser.parse(buffer, count: buffer.count) == .complete)
            #expect(parser.body == request.count..<request.count)
            #expect(parser.requiredCapacity == request.count)
        }
    }

    @Test func refusesAnOversizedContentLengthInsteadOfTheHead() {
        var bytes = Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n".utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var parser = HTTPRequestParser(limits: HTTPLimits())
            #expect(parser.parse(buffer, count: buffer.count) == .error(.bodyTooLarge(limit: 1 << 20)))
            #expect(parser.parse(buffer, count: buffer.count) == .error(.bodyTooLarge(limit: 1 << 20)))
            parser.reset()
            #expect(parser.parse(buffer, count: 0) == .needMoreData)
        }
    }

    @Test func dropsConsumedBytesAndRebases() throws {
        let first = Array("POST /one HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc".utf8)
        let second = Array("POST /two HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n1\r\nz\r\n0\r\n\r\n".utf8)
        let secondSplit = 70
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: first + second[..<secondSplit])
        var count = first.count + secondSplit
        var parser = HTTPRequestParser(limits: HTTPLimits())

        #expect(parser.consumedBytes == 0)
        #expect(parser.parse(buffer, count: count) == .head)
        #expect(parser.parse(buffer, count: count) == .complete)
        #expect(parser.consumedBytes == 0)
        parser.startNextRequest()
        #expect(parser.consumedBytes == first.count)
        #expect(parser.parse(buffer, count: count) == .head)
        #expect(parser.parse(buffer, count: count) == .needMoreData)

        // Drop the first request while the second is half-way through its chunked body.
        let consumed = parser.consumedBytes
        let base = try #require(buffer.baseAddress)
        base.copyMemory(from: base + consumed, byteCount: count - consumed)
        count -= consumed
        parser.rebase(by: consumed)
        #expect(parser.consumedBytes == 0)

        UnsafeMutableRawBufferPointer(rebasing: buffer[count...]).copyBytes(from: second[secondSplit...])
        count += second.count - secondSplit
        #expect(parser.parse(buffer, count: count) == .complete)
        #expect(parser.requestEnd == second.count)
        let bytes = UnsafeRawBufferPointer(buffer)
        #expect(String(decoding: bytes[parser.head.path], as: UTF8.self) == "/two")
        let host = try #require(parser.head.firstValue(of: "HOST", in: bytes))
        #expect(String(decoding: bytes[host], as: UTF8.self) == "b")
        #expect(String(decoding: bytes[parser.body], as: UTF8.self) == "xyz")
    }

    @Test func keepsFieldStorageAcrossRequests() {
        var bytes = Array(String(repeating: "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n", count: 3).utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var parser = HTTPRequestParser(limits: HTTPLimits(maxHeaderCount: 8))
            let capacity = parser.head.fields.capacity
            #expect(capacity >= 8)
            for _ in 0..<3 {
                #expect(parser.parse(buffer, count: buffer.count) == .head)
                #expect(parser.parse(buffer, count: buffer.count) == .complete)
                #expect(parser.head.fields.count == 2)
                parser.startNextRequest()
                #expect(parser.head.fields.capacity == capacity)
            }
            #expect(parser.parse(buffer, count: buffer.count) == .needMoreData)
        }
    }
}
