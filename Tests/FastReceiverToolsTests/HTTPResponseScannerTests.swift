import Testing

@testable import FastReceiverTools

@Suite struct HTTPResponseScannerTests {
    /// Feeds `text` in pieces of `pieceSize` bytes and returns the responses found.
    static func scan(_ text: String, pieceSize: Int = .max) throws -> [HTTPResponseScanner.Response] {
        var scanner = HTTPResponseScanner()
        var responses: [HTTPResponseScanner.Response] = []
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + pieceSize, bytes.count)
            try bytes[offset..<end].withUnsafeBytes { try scanner.consume($0) { responses.append($0) } }
            offset = end
        }
        #expect(scanner.isBetweenResponses)
        return responses
    }

    static let two = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"
        + "HTTP/1.1 401 Unauthorized\r\ncontent-length: 18\r\nConnection: close\r\n\r\nsignature expired\n"

    @Test("Status, body skipping and Connection: close, whatever the read sizes", arguments: [1, 2, 3, 5, 17, 64, Int.max])
    func framing(pieceSize: Int) throws {
        #expect(try Self.scan(Self.two, pieceSize: pieceSize) == [
            .init(status: 200, closesConnection: false),
            .init(status: 401, closesConnection: true),
        ])
    }

    @Test("Interim 100 Continue is skipped; no Content-Length means an empty body; HTTP/1.0 closes")
    func interimAndDefaults() throws {
        #expect(try Self.scan("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n") == [.init(status: 204, closesConnection: false)])
        #expect(try Self.scan("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n") == [.init(status: 200, closesConnection: true)])
        #expect(try Self.scan("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n") == [.init(status: 200, closesConnection: false)])
        #expect(try Self.scan("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n")
            == [.init(status: 503, closesConnection: true)])
    }

    @Test("What it cannot frame is an error, not a guess")
    func refusals() {
        #expect(throws: HTTPResponseScanner.ScanError.malformedStatusLine) { try Self.scan("HTTP/2 200\r\n\r\n") }
        #expect(throws: HTTPResponseScanner.ScanError.malformedStatusLine) { try Self.scan("HTTP/1.1 2x0 OK\r\n\r\n") }
        #expect(throws: HTTPResponseScanner.ScanError.malformedContentLength) { try Self.scan("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") }
        #expect(throws: HTTPResponseScanner.ScanError.transferEncodingNotSupported) {
            try Self.scan("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        }
        #expect(throws: HTTPResponseScanner.ScanError.headTooLarge(limit: 16 * 1024)) {
            try Self.scan("HTTP/1.1 200 OK\r\nX-Long: " + String(repeating: "a", count: 20_000))
        }
    }
}
