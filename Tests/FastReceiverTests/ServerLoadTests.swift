import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@Suite(.serialized) struct ServerLoadTests {
    @Test("A client trickling its headers is cut at the header deadline; others are served meanwhile")
    func slowClientIsCut() throws {
        // A header deadline generous enough that the normal client below is answered well before it.
        let server = try TestServer { $0.server.headerTimeoutMilliseconds = 10_000 }
        let slow = try RawConnection(port: server.port)
        // A byte every 100 ms for a minute, twice as long as a read waits: an answer can only come
        // from the header deadline cutting a client that is still sending.
        slow.send("POST / HTTP/1.1\r\n")
        let trickle = Array("Host: x\r\nX-Slow: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 600)
        let done = DispatchSemaphore(value: 0)
        Thread {
            for byte in trickle {
                if send(slow.descriptor, [byte], 1, Int32(MSG_NOSIGNAL)) <= 0 { break }
                usleep(100_000)
            }
            done.signal()
        }.start()
        defer {
            // The writer stops at its next send; only then is the descriptor closed (and free for reuse).
            shutdown(slow.descriptor, Int32(SHUT_RDWR))
            _ = done.wait(timeout: .now() + 30)
            slow.close()
        }
        // While the slow client trickles, a normal client is answered: before the slow one is cut.
        #expect(try server.postValidEvent() == 200)
        #expect(slow.staysQuiet(for: .zero), "the slow client was cut before the normal client was answered")
        let answer = slow.readAll()
        #expect(RawConnection.statuses(answer.text) == [408])
        #expect(answer.closed)
    }

    @Test("An idle keep-alive connection is closed after the idle timeout")
    func idleTimeout() throws {
        let server = try TestServer { $0.server.idleTimeoutMilliseconds = 500 }
        let raw = try RawConnection(port: server.port)
        defer { raw.close() }
        raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        // Nothing but the idle timeout closes a kept-alive connection (the default would take a
        // minute, longer than a read waits).
        let answer = raw.readAll()
        #expect(RawConnection.statuses(answer.text) == [200])
        #expect(answer.closed)
    }

    @Test("2 000 concurrent connections each post one event")
    func twoThousandConnections() throws {
        let server = try TestServer()
        let count = 2000
        var connections: [RawConnection] = []
        var requests: [[UInt8]] = []
        for _ in 0..<count { requests.append(try server.signedRequest(type: .touch).1) }
        for _ in 0..<count { connections.append(try RawConnection(port: server.port)) }
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
        let held = try (0..<4).map { _ in try RawConnection(port: server.port) }
        for connection in held { connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") }
        for connection in held { #expect(connection.readResponses(1) == [200]) }
        let waiting = try RawConnection(port: server.port)
        defer { waiting.close() }
        waiting.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        // Not answered while the four are held: an absence, so this waits the whole half second.
        #expect(waiting.staysQuiet(for: .milliseconds(500)))
        held[0].close()
        #expect(waiting.readResponses(1) == [200])
        for connection in held.dropFirst() { connection.close() }
    }
}
