import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiverTools
@testable import FastReceiverVerification

/// The token is decided from the head alone (DESIGN §2): a request that is not DT's costs the
/// server no more than reading its head, whatever body it announces or sends; DT's own requests
/// go through however they are framed or encoded.
@Suite(.serialized) struct HeadVerificationTests {
    /// A DT-shaped event padded to about `bytes` bytes, with its own eventId.
    static func paddedEvent(_ id: String, bytes: Int) -> [UInt8] {
        let padding = String(repeating: "p", count: max(bytes - 120, 0))
        return Array(#"{"event":{"eventId":"\#(id)","eventType":"touch","data":{}},"labels":{"pad":"\#(padding)"}}"#.utf8)
    }

    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    static func metric(_ server: TestServer, _ sample: String) throws -> Double? {
        MetricsTests.value(try server.client().request(method: "GET", path: "/metrics").bodyText, sample)
    }

    @Test("A token that does not verify is answered 401 from the head, without waiting for the body it announces")
    func refusedAtTheHead() throws {
        let server = try TestServer()
        let tokens = [
            ("a.b.c", "invalid_encoding"),
            (try DTEventFactory(secret: SignatureSecret("another-secret")!).sign(body: [], issuedAt: Self.now), "signature_mismatch"),
            (try server.factory.sign(body: [], issuedAt: Self.now - 7200), "expired"),
        ]
        for (token, reason) in tokens {
            // The body never comes: a server that waited for it would answer 408 at the 30 s body
            // timeout, so a 401 can only have been decided from the head.
            let raw = try RawConnection(port: server.port)
            raw.send("POST / HTTP/1.1\r\nHost: x\r\nX-Dt-Signature: \(token)\r\nContent-Encoding: gzip\r\nContent-Length: 1000000\r\n\r\n")
            let answer = raw.readAll()
            raw.close()
            #expect(RawConnection.statuses(answer.text) == [401], "\(reason)")
            #expect(answer.closed, "\(reason)")
            #expect(try Self.metric(server, "fast_receiver_events_rejected_total{reason=\"\(reason)\"}") == 1, "\(reason)")
        }
        #expect(try Self.metric(server, "fast_receiver_large_buffers_in_use") == 0)
        #expect(try server.postValidEvent() == 200)
    }

    @Test("Forty connections holding unverifiable 1 MB bodies take no large buffer: a signed 40 KB event is still stored")
    func heldLargeBodies() throws {
        let server = try TestServer()
        var held: [RawConnection] = []
        defer { held.forEach { $0.close() } }
        let head = Array("POST / HTTP/1.1\r\nHost: x\r\nX-Dt-Signature: a.b.c\r\nContent-Length: 1000000\r\n\r\n".utf8)
        for _ in 0..<40 {
            let raw = try RawConnection(port: server.port)
            raw.send(head + Array(repeating: UInt8(ascii: "x"), count: 40_000))
            held.append(raw)
        }
        for raw in held { #expect(raw.readResponses(1) == [401]) }
        #expect(try Self.metric(server, "fast_receiver_large_buffers_in_use") == 0)
        #expect(try Self.metric(server, "fast_receiver_events_rejected_total{reason=\"invalid_encoding\"}") == 40)

        // Larger than a connection's pooled small buffer, so it needs one of the large ones.
        let body = Self.paddedEvent("held0000000000000040k", bytes: 40_000)
        let signature = try server.factory.sign(body: body, issuedAt: Self.now)
        #expect(try server.client().post(body: body, headers: ["X-Dt-Signature: \(signature)"]).status == 200)
        #expect(server.storedLines().count == 1)
    }

    @Test("A thousand pipelined gzip bodies behind a bad token: the first is refused at its head, none is inflated")
    func pipelinedGzipBodies() throws {
        let server = try TestServer()
        let bomb = try gzipped(Array(repeating: UInt8(ascii: "a"), count: 1 << 20))
        let request = Array("POST / HTTP/1.1\r\nHost: x\r\nX-Dt-Signature: a.b.c\r\nContent-Encoding: gzip\r\nContent-Length: \(bomb.count)\r\n\r\n".utf8) + bomb
        let raw = try RawConnection(port: server.port)
        defer { raw.close() }
        raw.send(Array([[UInt8]](repeating: request, count: 1000).joined()))
        let answer = raw.readAll()
        #expect(RawConnection.statuses(answer.text) == [401])
        #expect(answer.closed)
        // Only the first head was looked at; no body reached the decoder (a 400 or 413 would say so).
        #expect(try Self.metric(server, "fast_receiver_events_rejected_total{reason=\"invalid_encoding\"}") == 1)
        #expect(try Self.metric(server, "fast_receiver_http_responses_total{code=\"401\"}") == 1)
    }

    @Test("Expect: 100-continue is answered 401, not 100, when the token does not verify")
    func noContinueForABadToken() throws {
        let server = try TestServer()
        let raw = try RawConnection(port: server.port)
        defer { raw.close() }
        let forged = try DTEventFactory(secret: SignatureSecret("another-secret")!).request(type: .touch)
        raw.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nX-Dt-Signature: \(forged.signature)\r\nContent-Length: \(forged.body.count)\r\n\r\n")
        let answer = raw.readAll()
        #expect(answer.text.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
        #expect(!answer.text.contains("100 Continue"))
        #expect(answer.closed)
    }

    @Test("A signed event in gzip members of several kinds, chunked in 64-byte pieces, is verified on the inflated bytes")
    func gzipMembersChunked() throws {
        let server = try TestServer()
        let body = Self.paddedEvent("gzip00000000000000001", bytes: 3000)
        let signature = try server.factory.sign(body: body, issuedAt: Self.now)
        let thirds = [body[..<1000], body[1000..<2000], body[2000...]].map { Array($0) }
        let threeMembers = try thirds.map { try gzipped($0) }.flatMap { $0 }
        var chunked: [UInt8] = []
        for start in stride(from: 0, to: threeMembers.count, by: 64) {
            let piece = threeMembers[start..<min(start + 64, threeMembers.count)]
            chunked += Array("\(String(piece.count, radix: 16))\r\n".utf8) + piece + Array("\r\n".utf8)
        }
        chunked += Array("0\r\n\r\n".utf8)
        let raw = try RawConnection(port: server.port)
        defer { raw.close() }
        raw.send(Array("POST / HTTP/1.1\r\nHost: x\r\nX-Dt-Signature: \(signature)\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + chunked)
        #expect(raw.readResponses(1) == [200])

        // Two members, framed by Content-Length, on a connection of the client.
        let second = Self.paddedEvent("gzip00000000000000002", bytes: 500)
        let twoMembers = try gzipped(Array(second[..<100])) + gzipped(Array(second[100...]))
        let response = try server.client().post(body: twoMembers, headers: ["X-Dt-Signature: \(try server.factory.sign(body: second, issuedAt: Self.now))",
                                                                            "Content-Encoding: gzip"])
        #expect(response.status == 200)
        let lines = server.storedLines()
        #expect(lines.count == 2)
        // Stored as signed, i.e. inflated (the two may be in different workers' segments).
        for event in [body, second] {
            #expect(lines.contains { $0.hasSuffix(",\"event\":\(String(decoding: event, as: UTF8.self))}") })
        }
    }

    @Test("A body of any chunk size within the body limit is accepted: 200 KB in 64-byte chunks, 20 KB in 1-byte chunks")
    func smallChunks() throws {
        let server = try TestServer()
        for (id, size, chunkSize) in [("chunks000000000000064", 200_000, 64), ("chunks000000000000001", 20_000, 1)] {
            let body = Self.paddedEvent(id, bytes: size)
            let signature = try server.factory.sign(body: body, issuedAt: Self.now)
            var bytes = Array("POST / HTTP/1.1\r\nHost: x\r\nX-Dt-Signature: \(signature)\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
            for start in stride(from: 0, to: body.count, by: chunkSize) {
                let piece = body[start..<min(start + chunkSize, body.count)]
                bytes += Array("\(String(piece.count, radix: 16))\r\n".utf8) + piece + Array("\r\n".utf8)
            }
            bytes += Array("0\r\n\r\n".utf8)
            let raw = try RawConnection(port: server.port)
            raw.send(bytes)
            #expect(raw.readResponses(1) == [200], "\(size) bytes in \(chunkSize)-byte chunks")
            raw.close()
        }
        #expect(server.storedLines().count == 2)
    }
}
