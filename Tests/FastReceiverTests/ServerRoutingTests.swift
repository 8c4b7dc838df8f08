import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiverHTTP
@testable import FastReceiverTools
@testable import FastReceiverVerification

@Suite(.serialized) struct ServerRoutingTests {
    @Test("A signed event is answered 200 and handed on verbatim with its eventId")
    func acceptsSignedEvent() throws {
        let server = try TestServer()
        let connection = try server.client()
        let request = try server.factory.request(type: .temperature)
        let response = try connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"])
        #expect(response.status == 200)
        #expect(response.bodyText == "OK\n")
        let lines = server.storedLines()
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.contains("\"eventId\":\"\(request.eventID)\""))
        #expect(line.hasSuffix(",\"event\":\(String(decoding: request.body, as: UTF8.self))}"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["receivedAt"] is String)
    }

    @Test("Keep-alive: many events on one connection")
    func keepAlive() throws {
        let server = try TestServer()
        let connection = try server.client()
        for type in DTEventFactory.EventType.allCases {
            let request = try server.factory.request(type: type)
            let response = try connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"])
            #expect(response.status == 200, "\(type)")
            #expect(!response.closesConnection)
        }
        #expect(server.storedLines().count == DTEventFactory.EventType.allCases.count)
    }

    @Test("Pipelined requests in one write are answered in order, in one go")
    func pipelining() throws {
        let server = try TestServer()
        let raw = try RawConnection(port: server.port)
        defer { raw.close() }
        var bytes: [UInt8] = []
        for _ in 0..<5 { bytes += try server.signedRequest().1 }
        bytes += Array("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        bytes += try server.signedRequest().1
        bytes += Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}".utf8)  // unsigned: 401
        raw.send(bytes)
        #expect(raw.readResponses(8) == [200, 200, 200, 200, 200, 404, 200, 401])
    }

    @Test("More pipelined requests than the cap are all answered, in order")
    func pipelineCap() throws {
        let server = try TestServer { $0.server.maxPipelinedRequests = 4 }
        let raw = try RawConnection(port: server.port)
        defer { raw.close() }
        var bytes: [UInt8] = []
        for _ in 0..<20 { bytes += try server.signedRequest().1 }
        raw.send(bytes)
        #expect(raw.readResponses(20) == Array(repeating: 200, count: 20))
    }

    @Test("Health, readiness, unknown paths and wrong methods")
    func routes() throws {
        let server = try TestServer()
        let connection = try server.client()
        #expect(try connection.request(method: "GET", path: "/healthz").status == 200)
        #expect(try connection.request(method: "HEAD", path: "/healthz").status == 200)
        #expect(try connection.request(method: "GET", path: "/readyz").status == 200)
        #expect(try connection.request(method: "GET", path: "/readyz?verbose=1").status == 200)
        #expect(try connection.request(method: "GET", path: "/nope").status == 404)
        let wrongMethod = try connection.request(method: "GET", path: "/")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("allow") == "POST")
        #expect(try connection.request(method: "DELETE", path: "/healthz").status == 405)
    }

    @Test("HEAD gets GET's head, Content-Length included, and no body, so later answers on the connection parse")
    func headHasNoBody() throws {
        let server = try TestServer()
        let raw = try RawConnection(port: server.port)
        defer { raw.close() }
        let requests = [("HEAD", "/healthz"), ("GET", "/healthz"), ("HEAD", "/metrics"), ("HEAD", "/"), ("HEAD", "/nope"), ("GET", "/healthz")]
        // The last request closes the connection, so everything sent arrives before the close.
        raw.send(requests.enumerated().map { index, request in
            "\(request.0) \(request.1) HTTP/1.1\r\nHost: x\r\n\(index == requests.count - 1 ? "Connection: close\r\n" : "")\r\n"
        }.joined())
        let answer = raw.readAll()
        #expect(answer.closed)
        var rest = Substring(answer.text)
        var answers: [(status: Int, contentLength: Int, body: String)] = []
        for (method, _) in requests {
            let head = try #require(rest.range(of: "\r\n\r\n"))
            let lines = rest[..<head.lowerBound].components(separatedBy: "\r\n")
            #expect(lines[0].hasPrefix("HTTP/1.1 "), "an answer starts where the previous one's head (and GET's body) ended")
            let status = Int(lines[0].dropFirst(9).prefix(3)) ?? 0
            let length = lines.first { $0.lowercased().hasPrefix("content-length: ") }.flatMap { Int($0.dropFirst(16)) } ?? -1
            rest = rest[head.upperBound...]
            let bodyLength = method == "HEAD" ? 0 : length
            answers.append((status, length, String(rest.prefix(bodyLength))))
            rest = rest.dropFirst(bodyLength)
        }
        #expect(rest.isEmpty)
        #expect(answers.map(\.status) == [200, 200, 200, 405, 404, 200])
        #expect(answers[0].contentLength == 3 && answers[1].contentLength == 3 && answers[1].body == "OK\n")
        #expect(answers[2].contentLength > 1000)
        #expect(answers[3].contentLength == "events are POSTed\n".utf8.count)
        #expect(answers[5].body == "OK\n")
    }

    @Test("A custom event path is the only place events are taken")
    func customPath() throws {
        let server = try TestServer { $0.eventPath = "/dt/events" }
        let connection = try server.client()
        let request = try server.factory.request(type: .touch)
        #expect(try connection.post(path: "/dt/events", body: request.body, headers: ["X-Dt-Signature: \(request.signature)"]).status == 200)
        #expect(try connection.post(path: "/", body: request.body, headers: ["X-Dt-Signature: \(request.signature)"]).status == 404)
    }

    @Test("Signature failures are 401 with the reason")
    func unauthorized() throws {
        let server = try TestServer()
        let connection = try server.client()
        var request = try server.factory.request(type: .touch)
        let tampered = request.body.map { $0 == UInt8(ascii: "t") ? UInt8(ascii: "T") : $0 }
        let response = try connection.post(body: tampered, headers: ["X-Dt-Signature: \(request.signature)"])
        #expect(response.status == 401)
        #expect(response.bodyText.contains("checksum_sha256 does not match the body"))
        request = try DTEventFactory(secret: SignatureSecret("another-secret")!).request(type: .touch)
        let wrongSecret = try connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"])
        #expect(wrongSecret.status == 401)
        #expect(wrongSecret.bodyText.contains("does not match any configured secret"))
        let unsigned = try connection.post(body: request.body)
        #expect(unsigned.status == 401)
        #expect(unsigned.closesConnection)  // refused before its body was read
        let twice = try server.client().post(body: request.body, headers: ["X-Dt-Signature: a.b.c", "x-dt-signature: a.b.c"])
        #expect(twice.status == 401)
        #expect(twice.bodyText.contains("more than one X-Dt-Signature"))
        #expect(server.storedLines().isEmpty)
    }

    @Test("Expect: 100-continue gets an interim answer before the body is sent")
    func expectContinue() throws {
        let server = try TestServer()
        let raw = try RawConnection(port: server.port)
        defer { raw.close() }
        let request = try server.factory.request(type: .touch)
        raw.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nX-Dt-Signature: \(request.signature)\r\nContent-Length: \(request.body.count)\r\n\r\n")
        #expect(raw.read(count: RawConnection.continueInterim.utf8.count) == RawConnection.continueInterim)
        raw.send(request.body)
        #expect(raw.readResponses(1) == [200])
    }

    @Test("HTTP/1.0 is answered and closed; chunked bodies are verified after de-chunking")
    func http10AndChunked() throws {
        let server = try TestServer()
        let request = try server.factory.request(type: .humidity)
        let raw = try RawConnection(port: server.port)
        raw.send(Array("POST / HTTP/1.0\r\nX-Dt-Signature: \(request.signature)\r\nContent-Length: \(request.body.count)\r\n\r\n".utf8) + request.body)
        let answer = raw.readAll()
        #expect(answer.text.hasPrefix("HTTP/1.0 200 OK\r\n"))
        #expect(answer.closed)
        raw.close()

        let chunked = try RawConnection(port: server.port)
        defer { chunked.close() }
        let half = request.body.count / 2
        var bytes = Array("POST / HTTP/1.1\r\nHost: x\r\nX-Dt-Signature: \(request.signature)\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        bytes += Array("\(String(half, radix: 16));ext=1\r\n".utf8) + request.body[..<half] + Array("\r\n".utf8)
        bytes += Array("\(String(request.body.count - half, radix: 16))\r\n".utf8) + request.body[half...] + Array("\r\n0\r\nX-Trailer: yes\r\n\r\n".utf8)
        chunked.send(bytes)
        #expect(chunked.readResponses(1) == [200])
    }

    @Test("Limits: header bytes and body bytes at the limit pass, one past is refused")
    func limits() throws {
        let server = try TestServer { $0.server.limits = HTTPLimits(maxHeaderBytes: 4096, maxHeaderCount: 20, maxBodyBytes: 2048) }
        // A head of exactly 4096 bytes: pad with one header.
        func head(padding: Int) -> String {
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: \(String(repeating: "a", count: padding))\r\n\r\n"
        }
        let base = head(padding: 0).utf8.count
        for (padding, expected) in [(4096 - base, 200), (4097 - base, 431)] {
            let raw = try RawConnection(port: server.port)
            raw.send(head(padding: padding))
            #expect(raw.readResponses(1) == [expected], "head of \(base + padding) bytes")
            raw.close()
        }
        // A genuine token for another body: a body within the limit is read and refused for its
        // checksum (401); one past the limit is refused from Content-Length alone (413) without
        // sending the body.
        let token = try server.factory.sign(body: [], issuedAt: Int64(Date().timeIntervalSince1970))
        for (size, expected) in [(2048, 401), (2049, 413)] {
            let raw = try RawConnection(port: server.port)
            raw.send("POST / HTTP/1.1\r\nHost: x\r\nX-Dt-Signature: \(token)\r\nContent-Length: \(size)\r\n\r\n")
            if expected == 401 { raw.send(String(repeating: "x", count: size)) }
            #expect(raw.readResponses(1) == [expected], "body of \(size) bytes")
            raw.close()
        }
        let fields = (0..<19).map { "X-F\($0): 1\r\n" }.joined()
        for (extra, expected) in [("", 200), ("X-F19: 1\r\n", 431)] {
            let raw = try RawConnection(port: server.port)
            raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\(fields)\(extra)\r\n")
            #expect(raw.readResponses(1) == [expected])
            raw.close()
        }
        #expect(try server.postValidEvent() == 200)
    }

    @Test("A body larger than the pooled buffer is taken through a large buffer")
    func largeBody() throws {
        let server = try TestServer { $0.server.limits.maxBodyBytes = 256 * 1024 }
        let padding = String(repeating: "p", count: 100_000)
        let body = Array(#"{"event":{"eventId":"large0000000000000x","eventType":"touch","data":{}},"labels":{"pad":"\#(padding)"}}"#.utf8)
        let signature = try server.factory.sign(body: body, issuedAt: Int64(Date().timeIntervalSince1970))
        let connection = try server.client()
        #expect(try connection.post(body: body, headers: ["X-Dt-Signature: \(signature)"]).status == 200)
        // The same event again: answered, not stored twice.
        #expect(try connection.post(body: body, headers: ["X-Dt-Signature: \(signature)"]).status == 200)
        #expect(server.storedLines().count == 1)
        #expect(try server.postValidEvent() == 200)
    }
}
