import FastReceiverSystem
import FastReceiverTestSupport
import Glibc
import Testing

@testable import FastReceiverTransport

/// The plain transport over a real loopback connection, as a worker uses it.
@Suite struct PlainTCPTransportTests {
    /// A listener on 127.0.0.1, a client connected to it, and the accepted non-blocking socket.
    static func connectedPair() throws -> (client: RawConnection, server: Int32) {
        let listener = try ListeningSocket.open(host: "127.0.0.1", port: 0, reusePort: false, backlog: 1)
        defer { close(listener) }
        let client = try RawConnection(port: ListeningSocket.localPort(listener))
        var accepted: Int32 = -1
        for _ in 0..<500 where accepted < 0 {
            accepted = SocketCalls.acceptNonBlocking(listener)
            if accepted < 0 { usleep(10_000) }
        }
        try #require(accepted >= 0)
        return (client, accepted)
    }

    @Test("Reads what the peer sent, would block when nothing is there, and sees the peer's half-close")
    func reads() throws {
        let (client, server) = try Self.connectedPair()
        defer { close(client.descriptor) }
        var transport = PlainTCPTransport(descriptor: server, settings: .init())
        defer { transport.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { buffer.deallocate() }
        #expect(transport.read(into: buffer) == .wouldBlock(.readable))
        client.send("hello")
        var received = 0
        for _ in 0..<500 where received < 5 {
            switch transport.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[received...])) {
            case .bytes(let count): received += count
            case .wouldBlock: usleep(10_000)
            case .closed, .failed: Issue.record("the connection is open")
            }
        }
        #expect(String(decoding: buffer[..<received], as: UTF8.self) == "hello")
        #expect(!transport.hasBufferedInput, "what TCP has, epoll reports")
        shutdown(client.descriptor, Int32(SHUT_WR))
        var result = transport.read(into: buffer)
        for _ in 0..<500 where result == .wouldBlock(.readable) {
            usleep(10_000)
            result = transport.read(into: buffer)
        }
        #expect(result == .closed)
    }

    @Test("Writes until the socket is full, then would block on writable; shutting output down ends the peer's stream")
    func writes() throws {
        let (client, server) = try Self.connectedPair()
        defer { close(client.descriptor) }
        var transport = PlainTCPTransport(descriptor: server, settings: .init())
        defer { transport.close() }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 1)
        defer { chunk.deallocate() }
        chunk.initializeMemory(as: UInt8.self, repeating: 0x61)
        var written = 0
        var blocked: TransportWriteResult?
        // The client reads nothing, so the kernel's buffers fill (a few MiB at most).
        while blocked == nil, written < 256 << 20 {
            switch transport.write(from: UnsafeRawBufferPointer(chunk)) {
            case .bytes(let count): written += count
            case let other: blocked = other
            }
        }
        #expect(blocked == .wouldBlock(.writable))
        #expect(written > 0)

        let (reader, quiet) = try Self.connectedPair()
        defer { close(reader.descriptor) }
        var other = PlainTCPTransport(descriptor: quiet, settings: .init())
        defer { other.close() }
        #expect(other.write(from: UnsafeRawBufferPointer(rebasing: chunk[..<2])) == .bytes(2))
        other.shutdownOutput()
        let (text, closed) = reader.readAll()
        #expect(text == "aa" && closed)
    }
}
