import Testing

@testable import FastReceiverHTTP

/// A request the parser must refuse, and the rule it breaks.
struct MalformedRequest: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var error: HTTPParseError
    var testDescription: String { name }

    init(_ name: String, _ text: String, _ error: HTTPParseError) {
        self.name = name
        self.text = text
        self.error = error
    }

    /// A POST with `fields` after Host and `body` after the head.
    static func post(_ name: String, fields: String, body: String = "", _ error: HTTPParseError) -> MalformedRequest {
        MalformedRequest(name, "POST / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n\(body)", error)
    }

    /// A chunked POST whose body is `body`.
    static func chunked(_ name: String, body: String, _ error: HTTPParseError) -> MalformedRequest {
        post(name, fields: "Transfer-Encoding: chunked\r\n", body: body, error)
    }
}

// Families from RFC 9112, llhttp's and nginx-tests' request suites and the HTTP Garden's
// smuggling findings: each input is one that some parser has read differently from another.
let malformedRequests: [MalformedRequest] = [
    // Content-Length and Transfer-Encoding together
    .post("CL then TE", fields: "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\n", .contentLengthWithTransferEncoding),
    .post("TE then CL", fields: "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", body: "0\r\n\r\n", .contentLengthWithTransferEncoding),
    .post("TE chunked with CL 0", fields: "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", .contentLengthWithTransferEncoding),

    // Content-Length values
    .post("CL repeated with equal values", fields: "Content-Length: 5\r\nContent-Length: 5\r\n", body: "hello", .duplicateContentLength),
    .post("CL repeated with different values", fields: "Content-Length: 5\r\nContent-Length: 6\r\n", body: "hello!", .duplicateContentLength),
    .post("CL with plus sign", fields: "Content-Length: +5\r\n", body: "hello", .invalidContentLength),
    .post("CL negative", fields: "Content-Length: -5\r\n", .invalidContentLength),
    .post("CL with a space inside", fields: "Content-Length: 5 5\r\n", .invalidContentLength),
    .post("CL in hex", fields: "Content-Length: 0x10\r\n", .invalidContentLength),
    .post("CL as a list", fields: "Content-Length: 5, 5\r\n", body: "hello", .invalidContentLength),
    .post("CL empty", fields: "Content-Length: \r\n", .invalidContentLength),
    .post("CL with a decimal point", fields: "Content-Length: 5.0\r\n", .invalidContentLength),
    .post("CL overflowing Int", fields: "Content-Length: 99999999999999999999\r\n", .bodyTooLarge(limit: 1 << 20)),
    .post("CL with vertical tab", fields: "Content-Length: 5\u{0B}\r\n", .invalidFieldValue),

    // Transfer-Encoding values
    .post("TE chunked twice in a list", fields: "Transfer-Encoding: chunked, chunked\r\n", .unsupportedTransferEncoding),
    .post("TE gzip then chunked", fields: "Transfer-Encoding: gzip, chunked\r\n", .unsupportedTransferEncoding),
    .post("TE gzip", fields: "Transfer-Encoding: gzip\r\n", .unsupportedTransferEncoding),
    .post("TE identity", fields: "Transfer-Encoding: identity\r\n", .unsupportedTransferEncoding),
    .post("TE xchunked", fields: "Transfer-Encoding: xchunked\r\n", .unsupportedTransferEncoding),
    .post("TE chunked with trailing junk", fields: "Transfer-Encoding: chunked x\r\n", .unsupportedTransferEncoding),
    .post("TE chunked with a parameter", fields: "Transfer-Encoding: chunked;q=1\r\n", .unsupportedTransferEncoding),
    .post("TE with vertical tab", fields: "Transfer-Encoding: \u{0B}chunked\r\n", .invalidFieldValue),
    .post("TE repeated", fields: "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", .duplicateTransferEncoding),
    .post("TE empty", fields: "Transfer-Encoding: \r\n", .unsupportedTransferEncoding),
    MalformedRequest("TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .transferEncodingInHTTP10),

    // Line structure
    .post("obs-fold", fields: "X-A: b\r\n c\r\n", .obsoleteLineFolding),
    .post("obs-fold with tab", fields: "X-A: b\r\n\tc\r\n", .obsoleteLineFolding),
    MalformedRequest("whitespace before the first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", .obsoleteLineFolding),
    .post("bare CR in a value", fields: "X-A: b\rc\r\n", .bareCarriageReturn),
    MalformedRequest("bare CR ending the request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", .bareCarriageReturn),
    MalformedRequest("bare CR ending a field line", "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", .bareCarriageReturn),
    MalformedRequest("bare LF ending the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", .bareLineFeed),
    MalformedRequest("bare LF ending a field line", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", .bareLineFeed),
    MalformedRequest("bare LF ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", .bareLineFeed),
    MalformedRequest("LF alone before the request line", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .bareLineFeed),
    MalformedRequest("two empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine),

    // Field names and values
    .post("NUL in a field name", fields: "X\u{0}A: b\r\n", .nulByte),
    .post("NUL in a field value", fields: "X-A: b\u{0}c\r\n", .nulByte),
    .post("space before colon", fields: "Content-Length : 5\r\n", .whitespaceBeforeColon),
    .post("tab before colon", fields: "Transfer-Encoding\t: chunked\r\n", .whitespaceBeforeColon),
    .post("empty field name", fields: ": b\r\n", .invalidFieldName),
    .post("parenthesis in a field name", fields: "X(A): b\r\n", .invalidFieldName),
    .post("non-ASCII field name", fields: "X-\u{E9}: b\r\n", .invalidFieldName),
    .post("field line without colon", fields: "X-A\r\n", .missingColon),
    .post("DEL in a field value", fields: "X-A: b\u{7F}\r\n", .invalidFieldValue),
    .post("escape in a field value", fields: "X-A: \u{1B}[0m\r\n", .invalidFieldValue),
    .post("Content-Encoding repeated", fields: "Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n", .duplicateContentEncoding),
    .post("Expect other than 100-continue", fields: "Expect: 100-continue-please\r\n", .unsupportedExpectation),

    // Host
    MalformedRequest("Host missing", "GET / HTTP/1.1\r\nX: a\r\n\r\n", .missingHost),
    MalformedRequest("Host repeated", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .duplicateHost),
    MalformedRequest("Host repeated on HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", .duplicateHost),
    MalformedRequest("Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", .invalidHost),
    MalformedRequest("Host with userinfo", "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", .invalidHost),
    MalformedRequest("Host with a non-numeric port", "GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", .invalidHost),
    MalformedRequest("Host with an unclosed IP literal", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", .invalidHost),

    // Chunked framing
    .chunked("chunk size with 0x", body: "0x10\r\n0123456789abcdef\r\n0\r\n\r\n", .invalidChunkSize),
    .chunked("negative chunk size", body: "-1\r\na\r\n0\r\n\r\n", .invalidChunkSize),
    .chunked("chunk size with leading space", body: " 5\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
    .chunked("chunk size with trailing space", body: "5 \r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
    .chunked("whitespace before a chunk extension", body: "5 ;a=b\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
    .chunked("chunk size not hex", body: "g\r\n", .invalidChunkSize),
    .chunked("chunk size empty", body: "\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
    .chunked("chunk size with extension only", body: ";a\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
    .chunked("chunk size overflowing Int", body: "ffffffffffffffffffffffff\r\n", .bodyTooLarge(limit: 1 << 20)),
    .chunked("chunk size line ending in bare LF", body: "5\nhello\r\n0\r\n\r\n", .bareLineFeed),
    .chunked("chunk size line with bare CR", body: "5\rhello\r\n0\r\n\r\n", .bareCarriageReturn),
    .chunked("chunk extension with a control", body: "5;a\u{01}b\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
    .chunked("chunk extension with bare LF", body: "5;a\nhello\r\n0\r\n\r\n", .bareLineFeed),
    .chunked("chunk extension with NUL", body: "5;a\u{0}\r\nhello\r\n0\r\n\r\n", .nulByte),
    .chunked("chunk data longer than its size", body: "5\r\nhelloX\r\n0\r\n\r\n", .chunkDataNotTerminated),
    .chunked("chunk data shorter than its size", body: "5\r\nhell\r\n0\r\n\r\n", .chunkDataNotTerminated),
    .chunked("chunk data followed by bare LF", body: "5\r\nhello\n0\r\n\r\n", .chunkDataNotTerminated),
    .chunked("chunk data followed by bare CR", body: "5\r\nhello\r0\r\n\r\n", .chunkDataNotTerminated),
    .chunked("last chunk line ending in bare LF", body: "0\n\r\n", .bareLineFeed),
    .chunked("trailer with obs-fold", body: "0\r\nT: a\r\n b\r\n\r\n", .obsoleteLineFolding),
    .chunked("trailer with space before colon", body: "0\r\nT : a\r\n\r\n", .whitespaceBeforeColon),
    .chunked("trailer ending in bare LF", body: "0\r\nT: a\n\r\n", .bareLineFeed),

    // Request line
    MalformedRequest("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", .unsupportedVersion),
    MalformedRequest("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion),
    MalformedRequest("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", .unsupportedVersion),
    MalformedRequest("HTTP/2 connection preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .unsupportedVersion),
    MalformedRequest("lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", .invalidVersion),
    MalformedRequest("version with a trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .invalidVersion),
    MalformedRequest("version with three parts", "GET / HTTP/1.1.1\r\nHost: a\r\n\r\n", .invalidVersion),
    MalformedRequest("version without a dot", "GET / HTTP/11\r\nHost: a\r\n\r\n", .invalidVersion),
    MalformedRequest("version missing", "GET /\r\nHost: a\r\n\r\n", .invalidVersion),
    MalformedRequest("request line of a method alone", "GET\r\nHost: a\r\n\r\n", .invalidRequestLine),
    MalformedRequest("double space before the target", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine),
    MalformedRequest("double space before the version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine),
    MalformedRequest("tab as separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod),
    MalformedRequest("leading space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod),
    MalformedRequest("non-token method", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod),
    MalformedRequest("control character in the target", "GET /a\u{01}b HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetByte),
    MalformedRequest("tab in the target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetByte),
    MalformedRequest("DEL in the target", "GET /a\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetByte),
    MalformedRequest("non-ASCII in the target", "GET /caf\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetByte),
    MalformedRequest("NUL in the target", "GET /\u{0} HTTP/1.1\r\nHost: a\r\n\r\n", .nulByte),
    MalformedRequest("relative target", "GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetForm),
    MalformedRequest("asterisk target for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetForm),
    MalformedRequest("authority-form", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", .invalidTargetForm),
    MalformedRequest("absolute-form with empty host", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetForm),
    MalformedRequest("absolute-form with userinfo", "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetForm),
    MalformedRequest("absolute-form with another scheme", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetForm),

    // Size limits with the default limits
    MalformedRequest("oversized request line", "GET /\(String(repeating: "a", count: 16 * 1024)) HTTP/1.1\r\nHost: a\r\n\r\n", .headerSectionTooLarge(limit: 16 * 1024)),
    .post("oversized header field", fields: "X-A: \(String(repeating: "a", count: 16 * 1024))\r\n", .headerSectionTooLarge(limit: 16 * 1024)),
    .post("CL above the body limit", fields: "Content-Length: 1048577\r\n", .bodyTooLarge(limit: 1 << 20)),
]

@Suite struct HTTPRequestParserMalformedTests {
    @Test func tableCoversEnoughCases() {
        #expect(malformedRequests.count >= 40)
    }

    @Test(arguments: malformedRequests)
    func refuses(_ request: MalformedRequest) {
        let whole = parseConnection(request.text)
        #expect(whole.requests.isEmpty)
        #expect(whole.error == request.error)
        #expect(parseConnection(request.text, cuts: 1...request.text.utf8.count) == whole)
    }

    @Test func refusalsMapToDocumentedStatuses() {
        let statuses = Dictionary(malformedRequests.map { ($0.name, $0.error.status) }, uniquingKeysWith: { first, _ in first })
        #expect(statuses["CL then TE"] == 400)
        #expect(statuses["CL overflowing Int"] == 413)
        #expect(statuses["TE gzip"] == 400)
        #expect(statuses["HTTP/1.2"] == 505)
        #expect(statuses["HTTP/2.0"] == 505)
        #expect(statuses["lower-case version"] == 400)
        #expect(statuses["oversized request line"] == 431)
        #expect(statuses["oversized header field"] == 431)
        #expect(statuses["Expect other than 100-continue"] == 417)
        #expect(statuses["chunk size overflowing Int"] == 413)
    }
}
