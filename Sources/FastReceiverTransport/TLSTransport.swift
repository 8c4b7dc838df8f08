public import FastReceiverCrypto
public import Glibc

/// Bytes over TLS on a TCP socket, through a `TLSConnection` made from the context that is
/// current when the connection is accepted.
///
/// OpenSSL reads and writes the socket itself; either direction may need the other readiness
/// (`wouldBlock`), and input it has already taken off the socket shows in `hasBufferedInput`.
public struct TLSTransport: ByteTransport {
    /// Where each new connection takes its certificate and policy from.
    public typealias Settings = TLSContextStore

    @usableFromInline let descriptor: Int32
    /// The TLS connection; nil once closed, which frees it.
    @usableFromInline var connection: TLSConnection?

    @inlinable
    public static var needsHandshake: Bool { true }

    @inlinable
    public init?(descriptor: Int32, settings: TLSContextStore) {
        // OpenSSL out of memory: the caller closes the socket, as for any connection it cannot hold.
        guard let connection = try? TLSConnection(context: settings.current, descriptor: descriptor) else { return nil }
        self.descriptor = descriptor
        self.connection = connection
    }

    @inlinable
    public mutating func handshake() -> TransportHandshakeResult {
        switch connection?.handshake() {
        case .done: .done
        case .wantRead: .wouldBlock(.readable)
        case .wantWrite: .wouldBlock(.writable)
        case .failed, nil: .failed
        }
    }

    @inlinable
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportReadResult {
        switch connection?.read(into: buffer) {
        case .bytes(let count): .bytes(count)
        case .wantRead: .wouldBlock(.readable)
        case .wantWrite: .wouldBlock(.writable)
        case .closed: .closed
        case .failed, nil: .failed
        }
    }

    @inlinable
    public mutating func write(from bytes: UnsafeRawBufferPointer) -> TransportWriteResult {
        switch connection?.write(bytes) {
        case .bytes(let count): .bytes(count)
        case .wantRead: .wouldBlock(.readable)
        case .wantWrite: .wouldBlock(.writable)
        case .failed, nil: .failed
        }
    }

    @inlinable
    public var hasBufferedInput: Bool { connection?.hasBufferedInput ?? false }

    /// Sends close_notify after the last answer, then half-closes the socket.
    @inlinable
    public mutating func shutdownOutput() {
        connection?.shutdown()
        shutdown(descriptor, Int32(SHUT_WR))
    }

    @inlinable
    public mutating func close() {
        connection = nil
        _ = Glibc.close(descriptor)
    }
}
