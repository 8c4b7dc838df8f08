import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@Suite(.serialized) struct ServerLoadTests {
    @Test("A client trickling its headers is cut at the header deadline; others are served meanwhile")
    func slowClientIsCut() throws {
        let server = try TestServer { $0.server.headerTimeoutMilliseconds = 1000 }
        let slow = try RawConnection(port: server.port, timeout: 5)
        defer { slow.close() }
        let start = Date()
        let trickle = Array("POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 50)
        let done = DispatchSemaphore(value: 0)
        let writer = Thread {
            for byte in trickle {
                if send(slow.descriptor, [byte], 1, Int32(MSG_NOSIGNAL)) <= 0 { break }
                usleep(100_000)
            }
            done.signal()
        }
        writer.start()
        // While the slow client trickles, a normal client is answered at once.
        let normalStart = Date()
        #expect(try server.postValidEvent() == 200)
        #expect(Date().timeIntervalSince(normalStart) < 0.5)
        let answer = slow.readAll()
        let elapsed = Date().timeIntervalSince(start)
        #expect(RawConnection.statuses(answer.text) == [408])
        #expect(answer.closed)
        #expect(elapsed >= 0.9 && elapsed < 3.0, "cut after \(elapsed) s")
        _ = done.wait(timeout: .now() + 10)
    }

    @Test("An idle keep-alive connection is closed after the idle timeout")
    func idleTimeout() throws {
        let server = try TestServer { $0.server.idleTimeoutMilliseconds = 500 }
        let raw = try RawConnection(port: server.port, timeout: 5)
        defer { raw.close() }
        raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        let start = Date()
        let answer = raw.readAll()
        #expect(RawConnection.statuses(answer.text) == [200])
        #expect(answer.closed)
        #expect(Date().timeIntervalSince(start) < 2.5)
    }

    @Test("2 000 concurrent connections each post one event")
    func twoThousandConnections() throws {
        let server = try TestServer()
        let count = 2000
        var connections: [RawConnection] = []
        var requests: [[UInt8]] = []
        for _ in 0..<count { requests.append(try server.signedRequest(type: .touch).1) }
        for _ in 0..<count { connections.append(try RawConnection(port: server.port, timeout: 20)) }
        for (connection, request) in zip(connections, requests) { connection.send(request) }
        var statuses: [Int: Int] = [:]
        for connection in connections {
            let status = connection.readResponses(1).first ?? 0
            statuses[status, default: 0] += 1
            connection.close()
        }
        #expect(statuses == [200: count])
        #expect(server.storedLines().count == count)
    }

    @Test("At the connection limit, new connections wait in the backlog and are served later")
    func connectionLimit() throws {
        let server = try TestServer(threads: 1) { $0.server.maxConnections = 4 }
        let held = try (0..<4).map { _ in try RawConnection(port: server.port, timeout: 10) }
        for connection in held { connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") }
        for connection in held { #expect(connection.readResponses(1) == [200]) }
        let waiting = try RawConnection(port: server.port, timeout: 10)
        defer { waiting.close() }
        waiting.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(300_000)
        held[0].close()
        #expect(waiting.readResponses(1) == [200])
        for connection in held.dropFirst() { connection.close() }
    }
}
