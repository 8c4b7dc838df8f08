public import Glibc

/// Bytes straight over a TCP socket: `read`, `send` with `MSG_NOSIGNAL` (a reset peer never
/// raises SIGPIPE), `shutdown` and `close`.
///
/// Inlinable, so that the worker loop specialized for it makes these calls directly.
public struct PlainTCPTransport: ByteTransport {
    /// Plain TCP needs nothing beyond the socket.
    public struct Settings: Sendable {
        public init() {}
    }

    @usableFromInline let descriptor: Int32

    @inlinable
    public static var needsHandshake: Bool { false }

    @inlinable
    public init(descriptor: Int32, settings: Settings) {
        self.descriptor = descriptor
    }

    @inlinable
    public mutating func handshake() -> TransportHandshakeResult { .done }

    @inlinable
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportReadResult {
        while true {
            let received = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if received > 0 { return .bytes(received) }
            if received == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .wouldBlock(.readable)
            default: return .failed
            }
        }
    }

    @inlinable
    public mutating func write(from bytes: UnsafeRawBufferPointer) -> TransportWriteResult {
        while true {
            let written = send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if written > 0 { return .bytes(written) }
            if written < 0, errno == EINTR { continue }
            if written < 0, errno == EAGAIN { return .wouldBlock(.writable) }
            return .failed
        }
    }

    @inlinable
    public var hasBufferedInput: Bool { false }

    @inlinable
    public mutating func shutdownOutput() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    @inlinable
    public mutating func close() {
        _ = Glibc.close(descriptor)
    }
}
