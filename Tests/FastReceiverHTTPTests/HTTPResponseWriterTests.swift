import Testing

@testable import FastReceiverHTTP

@Suite struct HTTPResponseWriterTests {
    static let date = Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)

    static func written(_ response: HTTPResponse, omitsBody: Bool = false) -> String {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 1)
        defer { buffer.deallocate() }
        var writer = HTTPResponseWriter(buffer: buffer)
        let fits = date.withUnsafeBytes { writer.write(response, keepAlive: true, http10: false, date: $0, omitsBody: omitsBody) }
        #expect(fits)
        return String(decoding: buffer[..<writer.count], as: UTF8.self)
    }

    @Test("An answer to HEAD is GET's head, Content-Length of GET's body included, with no content (RFC 9110 §9.3.2)")
    func headAnswer() {
        let get = Self.written(.ok)
        let head = Self.written(.ok, omitsBody: true)
        #expect(get == head + "OK\n")
        #expect(head.hasSuffix("Content-Length: 3\r\n\r\n"))
    }

    @Test("A response's log detail is never sent")
    func logDetailStaysHere() {
        let response = HTTPResponse(status: 500, body: .constant("internal error\n"), logDetail: "OpenSSL EVP_MAC_final failed: error:secret-ish.")
        let text = Self.written(response)
        #expect(text.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
        #expect(text.hasSuffix("\r\n\r\ninternal error\n"))
        #expect(!text.contains("OpenSSL"))
    }
}
