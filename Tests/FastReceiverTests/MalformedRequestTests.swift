import FastReceiverTestSupport
import Foundation
import Testing

/// Malformed and smuggling requests against a live server (RFC 9112 and the llhttp,
/// nginx-tests and HTTP Garden case families). Each must get its status and a closed
/// connection, and the server must still serve a valid event afterwards.
@Suite(.serialized) struct MalformedRequestTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: String
        let status: Int
        var testDescription: String { name }
    }

    /// A POST head whose token verifies (`{token}` is replaced by one signed for the test), so
    /// that framing errors in the body are reached: a token that does not verify is refused 401
    /// from the head alone.
    static let post = "POST / HTTP/1.1\r\nHost: x\r\nX-Dt-Signature: {token}\r\n"

    static let cases: [Case] = [
        Case(name: "CL and TE together", bytes: post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400),
        Case(name: "TE then CL", bytes: post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", status: 400),
        Case(name: "two equal Content-Lengths", bytes: post + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", status: 400),
        Case(name: "two different Content-Lengths", bytes: post + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x", status: 400),
        Case(name: "Content-Length list", bytes: post + "Content-Length: 2, 2\r\n\r\n{}", status: 400),
        Case(name: "signed Content-Length +", bytes: post + "Content-Length: +2\r\n\r\n{}", status: 400),
        Case(name: "negative Content-Length", bytes: post + "Content-Length: -1\r\n\r\n", status: 400),
        Case(name: "hex Content-Length", bytes: post + "Content-Length: 0x2\r\n\r\n{}", status: 400),
        Case(name: "space inside Content-Length", bytes: post + "Content-Length: 1 2\r\n\r\n", status: 400),
        Case(name: "empty Content-Length", bytes: post + "Content-Length: \r\n\r\n", status: 400),
        Case(name: "overflowing Content-Length", bytes: post + "Content-Length: 99999999999999999999999\r\n\r\n", status: 413),
        Case(name: "Content-Length over the body limit", bytes: post + "Content-Length: 2000000\r\n\r\n", status: 413),
        Case(name: "TE chunked, chunked", bytes: post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", status: 400),
        Case(name: "TE gzip, chunked", bytes: post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", status: 400),
        Case(name: "TE gzip", bytes: post + "Transfer-Encoding: gzip\r\n\r\n", status: 400),
        Case(name: "TE xchunked", bytes: post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", status: 400),
        Case(name: "TE with vertical tab", bytes: post + "Transfer-Encoding: \u{0B}chunked\r\n\r\n0\r\n\r\n", status: 400),
        Case(name: "TE repeated", bytes: post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400),
        Case(name: "TE on HTTP/1.0", bytes: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400),
        Case(name: "obs-fold", bytes: post + "X-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n", status: 400),
        Case(name: "bare CR in a value", bytes: post + "X-A: a\rb\r\nContent-Length: 0\r\n\r\n", status: 400),
        Case(name: "bare LF line ending", bytes: "GET /healthz HTTP/1.1\nHost: x\n\n", status: 400),
        Case(name: "NUL in a value", bytes: post + "X-A: a\u{0}b\r\nContent-Length: 0\r\n\r\n", status: 400),
        Case(name: "NUL in a name", bytes: post + "X-\u{0}A: b\r\nContent-Length: 0\r\n\r\n", status: 400),
        Case(name: "space before colon", bytes: post + "Content-Length : 0\r\n\r\n", status: 400),
        Case(name: "tab before colon", bytes: post + "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n", status: 400),
        Case(name: "empty field name", bytes: post + ": value\r\nContent-Length: 0\r\n\r\n", status: 400),
        Case(name: "invalid character in a name", bytes: post + "X(A): b\r\nContent-Length: 0\r\n\r\n", status: 400),
        Case(name: "line without a colon", bytes: post + "NoColonHere\r\nContent-Length: 0\r\n\r\n", status: 400),
        Case(name: "chunk size 0x10", bytes: post + "Transfer-Encoding: chunked\r\n\r\n0x10\r\n", status: 400),
        Case(name: "chunk size -1", bytes: post + "Transfer-Encoding: chunked\r\n\r\n-1\r\n", status: 400),
        Case(name: "chunk size with leading space", bytes: post + "Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n", status: 400),
        Case(name: "chunk size not hex", bytes: post + "Transfer-Encoding: chunked\r\n\r\ng\r\n", status: 400),
        Case(name: "empty chunk size", bytes: post + "Transfer-Encoding: chunked\r\n\r\n\r\n", status: 400),
        Case(name: "overflowing chunk size", bytes: post + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", status: 413),
        Case(name: "chunk data not followed by CRLF", bytes: post + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n", status: 400),
        Case(name: "chunk extension with a bare LF", bytes: post + "Transfer-Encoding: chunked\r\n\r\n2;a\nb\r\n{}\r\n0\r\n\r\n", status: 400),
        Case(name: "HTTP/2.0 request line", bytes: "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", status: 505),
        Case(name: "lower-case version", bytes: "GET /healthz http/1.1\r\nHost: x\r\n\r\n", status: 400),
        Case(name: "version with three parts", bytes: "GET /healthz HTTP/1.1.1\r\nHost: x\r\n\r\n", status: 400),
        Case(name: "missing version", bytes: "GET /healthz\r\nHost: x\r\n\r\n", status: 400),
        Case(name: "trailing space after version", bytes: "GET /healthz HTTP/1.1 \r\nHost: x\r\n\r\n", status: 400),
        Case(name: "double space in request line", bytes: "GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
        Case(name: "missing Host on HTTP/1.1", bytes: "GET /healthz HTTP/1.1\r\n\r\n", status: 400),
        Case(name: "two Host fields", bytes: "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400),
        Case(name: "control character in the target", bytes: "GET /he\u{1}althz HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
        Case(name: "space in the target", bytes: "GET /health z HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
        Case(name: "invalid method token", bytes: "G(T /healthz HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
        Case(name: "oversized request line", bytes: "GET /" + String(repeating: "a", count: 20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", status: 431),
        Case(name: "oversized header", bytes: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 20_000) + "\r\n\r\n", status: 431),
        Case(name: "too many header fields", bytes: "GET /healthz HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-A: 1\r\n", count: 120) + "\r\n", status: 431),
        Case(name: "two leading empty lines", bytes: "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
    ]

    @Test("Each malformed request gets its status and a closed connection; the server keeps serving", arguments: cases)
    func refused(_ test: Case) throws {
        let server = try SharedServer.instance()
        let raw = try RawConnection(port: server.port)
        let token = try server.factory.sign(body: Array("{}".utf8), issuedAt: Int64(Date().timeIntervalSince1970))
        raw.send(test.bytes.replacingOccurrences(of: "{token}", with: token))
        let answer = raw.readAll()
        raw.close()
        #expect(RawConnection.statuses(answer.text).first == test.status, "got: \(answer.text.prefix(80).debugDescription)")
        #expect(answer.closed)
        #expect(try server.postValidEvent() == 200)
    }

    @Test("The table covers at least forty cases")
    func tableSize() {
        #expect(Self.cases.count >= 40)
    }

    @Test("A leading empty line is tolerated, as RFC 9112 §2.2 allows")
    func leadingEmptyLine() throws {
        let server = try SharedServer.instance()
        let raw = try RawConnection(port: server.port)
        defer { raw.close() }
        raw.send("\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(raw.readResponses(1) == [200])
    }
}

/// One server shared by a suite's many small cases, to keep them quick.
enum SharedServer {
    nonisolated(unsafe) private static var server: TestServer?
    private static let lock = NSLock()

    static func instance() throws -> TestServer {
        lock.lock()
        defer { lock.unlock() }
        if let server { return server }
        let made = try TestServer()
        server = made
        return made
    }
}
