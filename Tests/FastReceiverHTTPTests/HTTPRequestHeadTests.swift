import Testing

@testable import FastReceiverHTTP

@Suite struct HTTPRequestHeadTests {
    @Test func looksUpFieldsCaseInsensitively() throws {
        var bytes = Array("POST / HTTP/1.1\r\nHost: a\r\nx-dt-signature: one\r\nX-DT-SIGNATURE: two\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n".utf8)
        try bytes.withUnsafeMutableBytes { buffer in
            var parser = HTTPRequestParser(limits: HTTPLimits())
            #expect(parser.parse(buffer, count: buffer.count) == .head)
            let bytes = UnsafeRawBufferPointer(buffer)
            let head = parser.head
            let signature = try #require(head.firstValue(of: "X-Dt-Signature", in: bytes))
            #expect(String(decoding: bytes[signature], as: UTF8.self) == "one")
            #expect(head.count(of: "X-Dt-Signature", in: bytes) == 2)
            #expect(head.count(of: "Host", in: bytes) == 1)
            #expect(head.firstValue(of: "Authorization", in: bytes) == nil)
            #expect(head.count(of: "X-Dt-Signatur", in: bytes) == 0)
            let encoding = try #require(head.contentEncoding)
            #expect(String(decoding: bytes[encoding], as: UTF8.self) == "gzip")
        }
    }
}
