import FastReceiverTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

@testable import FastReceiverCrypto
@testable import FastReceiverTransport

/// A TLS server on 127.0.0.1 and a free port, driving `TLSConnection` from one thread with
/// non-blocking sockets and `poll`, the way an epoll worker will: a connection is only touched
/// when the socket is ready for what it last asked for, or when `hasBufferedInput` says
/// OpenSSL holds input that readiness will never report.
///
/// It echoes what it reads, or streams a fixed pattern and closes. What each connection saw is
/// recorded for tests to check.
final class TLSTestServer {
    /// What the server does once a handshake completes.
    enum Mode: Sendable {
        /// Echo every byte back until the client closes.
        case echo
        /// Send `count` bytes of `TLSTestServer.pattern`, then close_notify, then close.
        case stream(count: Int)
        /// Echo; once the client has closed, write twice: the first write draws a reset from
        /// the peer's kernel, the second meets EPIPE.
        case answerAfterClose
    }

    /// What one connection saw, from accept to close.
    struct Record: Sendable {
        var handshake: TLSConnection.HandshakeResult?
        var protocolVersion: String?
        var cipherSuite: String?
        var applicationProtocol: String?
        var isSessionReused = false
        /// How the connection ended after the handshake: `.closed` or `.failed`.
        var end: TLSConnection.ReadResult?
        var writeFailure: TLSConnectionError?
        var bytesRead = 0
        var bytesWritten = 0
        var wantWriteCount = 0
        /// The writes made after the client closed, in `answerAfterClose` mode.
        var writesAfterClose: [TLSConnection.WriteResult] = []
        var isFinished = false
        /// Whether the server thread's OpenSSL error queue was empty after this connection
        /// failed: one connection's error must never be left for the next to find.
        var isErrorQueueEmptyAfterFailure: Bool?
    }

    let port: Int
    /// The loop's state, shared with its thread (which must not keep this server alive).
    private let loop: TLSTestServerLoop

    /// - Parameters:
    ///   - context: the certificate to serve; `replaceContext` swaps it for new connections.
    ///   - mode: echo, or stream a fixed number of bytes.
    ///   - sendBufferSize: `SO_SNDBUF` for accepted sockets, small to make writes block.
    init(context: TLSServerContext, mode: Mode = .echo, sendBufferSize: Int32? = nil) throws {
        loop = try TLSTestServerLoop(context: context, mode: mode, sendBufferSize: sendBufferSize)
        port = ListeningSocket.localPort(loop.listener)
        Thread { [loop] in loop.run() }.start()
    }

    deinit {
        loop.stop()
    }

    /// Serves `context` to connections accepted from now on.
    func replaceContext(_ context: TLSServerContext) {
        loop.context.withLock { $0 = context }
    }

    /// Every connection accepted so far, in order.
    var records: [Record] { loop.state.withLock { $0.records } }

    /// Waits (up to a generous deadline) until `count` connections have finished, and returns
    /// every record.
    func finishedRecords(_ count: Int) throws -> [Record] {
        let done = waitUntil { self.records.filter(\.isFinished).count >= count }
        try #require(done, "\(count) TLS connections did not finish: \(records)")
        return records
    }

    /// The byte at `index` of the streamed pattern.
    static func pattern(_ index: Int) -> UInt8 { UInt8(index % 251) }
}

/// The server's thread: a poll loop over the listener and its connections.
private final class TLSTestServerLoop: @unchecked Sendable {
    typealias Record = TLSTestServer.Record

    let context: Mutex<TLSServerContext>
    let listener: Int32
    let state = Mutex<(records: [Record], stopping: Bool, stopped: Bool)>(([], false, false))
    private let mode: TLSTestServer.Mode
    private let sendBufferSize: Int32?

    init(context: TLSServerContext, mode: TLSTestServer.Mode, sendBufferSize: Int32?) throws {
        self.context = Mutex(context)
        self.mode = mode
        self.sendBufferSize = sendBufferSize
        listener = try ListeningSocket.open(host: "127.0.0.1", port: 0, reusePort: false, backlog: 64)
    }

    /// Ends the loop, closing every connection, and waits for it.
    func stop() {
        state.withLock { $0.stopping = true }
        _ = waitUntil { self.state.withLock { $0.stopped } }
        close(listener)
    }

    private final class Client {
        let descriptor: Int32
        let tls: TLSConnection
        let index: Int
        var isHandshakeDone = false
        var waitsFor = Int16(POLLIN)
        var output: [UInt8] = []
        var outputOffset = 0
        var streamed = 0

        init(descriptor: Int32, tls: TLSConnection, index: Int) {
            self.descriptor = descriptor
            self.tls = tls
            self.index = index
        }
    }

    func run() {
        var clients: [Client] = []
        var buffer = [UInt8](repeating: 0, count: 1000) // smaller than a record, so input stays buffered
        while !state.withLock({ $0.stopping }) {
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            descriptors += clients.map { pollfd(fd: $0.descriptor, events: $0.waitsFor, revents: 0) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), 20)
            guard ready >= 0 else { continue }
            if descriptors[0].revents & Int16(POLLIN) != 0 { accept(into: &clients) }
            for (index, client) in clients.enumerated() where descriptors.count > index + 1 {
                guard descriptors[index + 1].fd == client.descriptor, descriptors[index + 1].revents != 0 else { continue }
                drive(client, buffer: &buffer)
            }
            clients.removeAll { client in
                let finished = state.withLock { $0.records[client.index].isFinished }
                if finished { close(client.descriptor) }
                return finished
            }
        }
        for client in clients { close(client.descriptor) }
        state.withLock { $0.stopped = true }
    }

    private func accept(into clients: inout [Client]) {
        let descriptor = Glibc.accept(listener, nil, nil)
        guard descriptor >= 0 else { return }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        if var size = sendBufferSize {
            setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let current = context.withLock { $0 }
        guard let tls = try? TLSConnection(context: current, descriptor: descriptor) else {
            close(descriptor)
            return
        }
        let index = state.withLock { state in
            state.records.append(Record())
            return state.records.count - 1
        }
        clients.append(Client(descriptor: descriptor, tls: tls, index: index))
    }

    /// Writes to a client that has gone: once, then, when its reset has arrived, again.
    private func answerAfterClose(_ client: Client) {
        let answer = [UInt8](repeating: 0x41, count: 100)
        let first = answer.withUnsafeBytes { client.tls.write($0) }
        // POLLHUP and POLLERR are always reported: they mean the reset is in.
        var descriptor = pollfd(fd: client.descriptor, events: 0, revents: 0)
        _ = poll(&descriptor, 1, 10_000)
        let second = answer.withUnsafeBytes { client.tls.write($0) }
        update(client) { $0.writesAfterClose = [first, second] }
    }

    /// Records a failed connection as finished, and whether it left the error queue empty.
    private func finish(_ client: Client) {
        let isEmpty = CryptoError("probe").reasons.isEmpty
        update(client) {
            $0.isErrorQueueEmptyAfterFailure = isEmpty
            $0.isFinished = true
        }
    }

    private func update(_ client: Client, _ change: (inout Record) -> Void) {
        state.withLock { change(&$0.records[client.index]) }
    }

    /// Moves one connection as far as its socket allows, then records what it waits for.
    private func drive(_ client: Client, buffer: inout [UInt8]) {
        let tls = client.tls
        // One read per wakeup, then more only while OpenSSL holds input: a wrong
        // `hasBufferedInput` stalls the echo, which the tests would see.
        var mayRead = true
        while true {
            if !client.isHandshakeDone {
                let result = tls.handshake()
                update(client) { $0.handshake = result }
                switch result {
                case .done:
                    client.isHandshakeDone = true
                    update(client) {
                        $0.protocolVersion = tls.protocolVersion
                        $0.cipherSuite = tls.cipherSuite
                        $0.applicationProtocol = tls.applicationProtocol
                        $0.isSessionReused = tls.isSessionReused
                    }
                    continue
                case .wantRead: client.waitsFor = Int16(POLLIN); return
                case .wantWrite: client.waitsFor = Int16(POLLOUT); return
                case .failed: finish(client); return
                }
            }
            if case .stream(let count) = mode, client.outputOffset == client.output.count, client.streamed < count {
                let chunk = min(64 * 1024, count - client.streamed)
                client.output = (client.streamed..<client.streamed + chunk).map(TLSTestServer.pattern)
                client.outputOffset = 0
                client.streamed += chunk
            }
            if client.outputOffset < client.output.count {
                let result = client.output[client.outputOffset...].withUnsafeBytes { tls.write($0) }
                switch result {
                case .bytes(let count):
                    client.outputOffset += count
                    update(client) { $0.bytesWritten += count }
                    continue
                case .wantRead: client.waitsFor = Int16(POLLIN); return
                case .wantWrite:
                    update(client) { $0.wantWriteCount += 1 }
                    client.waitsFor = Int16(POLLOUT)
                    return
                case .failed(let error):
                    update(client) { $0.writeFailure = error }
                    finish(client)
                    return
                }
            }
            if case .stream = mode {
                tls.shutdown()
                update(client) { $0.end = .closed; $0.isFinished = true }
                return
            }
            guard mayRead else { client.waitsFor = Int16(POLLIN); return }
            let result = buffer.withUnsafeMutableBytes { tls.read(into: $0) }
            switch result {
            case .bytes(let count):
                client.output = Array(buffer[..<count])
                client.outputOffset = 0
                update(client) { $0.bytesRead += count }
                mayRead = tls.hasBufferedInput
                continue
            case .wantRead: client.waitsFor = Int16(POLLIN); return
            case .wantWrite: client.waitsFor = Int16(POLLOUT); return
            case .closed:
                if case .answerAfterClose = mode { answerAfterClose(client) }
                tls.shutdown()
                update(client) { $0.end = .closed; $0.isFinished = true }
                return
            case .failed:
                update(client) { $0.end = result }
                finish(client)
                return
            }
        }
    }
}
