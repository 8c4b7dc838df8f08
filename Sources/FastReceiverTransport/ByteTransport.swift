public import FastReceiverSystem

/// Which readiness of the socket an operation waits for before it can go on.
///
/// Plain TCP reads wait for readable and writes for writable; TLS may cross them: a read can
/// need the socket writable (a key update to answer), a write readable.
public enum TransportReadiness: Sendable, Equatable {
    case readable
    case writable
}

extension TransportReadiness {
    /// The epoll events that report this readiness.
    @inlinable
    var epollEvents: EpollEvents {
        self == .readable ? [.readable, .peerHalfClosed] : .writable
    }

    /// Whether `events` let an operation waiting for this readiness go on. Errors and hang-ups
    /// let either go on, so that it fails and the connection closes.
    @inlinable
    func isReported(in events: EpollEvents) -> Bool {
        !events.isDisjoint(with: [epollEvents, .error, .hangUp])
    }
}

/// The outcome of ``ByteTransport/handshake()``.
public enum TransportHandshakeResult: Sendable, Equatable {
    /// The connection carries requests from now on; read at once, since the first request may
    /// already be held by the transport.
    case done
    /// Call again once the socket has this readiness.
    case wouldBlock(TransportReadiness)
    /// The handshake failed: close.
    case failed
}

/// The outcome of ``ByteTransport/read(into:)``.
public enum TransportReadResult: Sendable, Equatable {
    /// This many bytes were put at the start of the buffer (at least one).
    case bytes(Int)
    /// Nothing to read now: call again once the socket has this readiness.
    case wouldBlock(TransportReadiness)
    /// The peer finished sending (a half-close, or the end of a TLS session).
    case closed
    /// The connection is broken: close it.
    case failed
}

/// The outcome of ``ByteTransport/write(from:)``.
public enum TransportWriteResult: Sendable, Equatable {
    /// This many leading bytes were taken (at least one, perhaps fewer than offered).
    case bytes(Int)
    /// Nothing was taken: call again, with the same unsent bytes, once the socket has this
    /// readiness.
    case wouldBlock(TransportReadiness)
    /// The connection is broken: close it.
    case failed
}

/// How a connection's bytes cross its socket: plain TCP, or TLS over it.
///
/// A worker is generic over its transport, so every call is dispatched statically and the plain
/// path costs what the system calls cost. Every call returns at once (the socket is
/// non-blocking); a result that would block names the readiness to wait for, which the
/// connection's state machine turns into the epoll interest. A transport owns its socket from
/// `init` to `close()`, and is owned by one worker thread.
public protocol ByteTransport: SendableMetatype {
    /// What every connection's transport is made from: nothing for plain TCP, the certificate
    /// and policy for TLS.
    associatedtype Settings

    /// Whether a handshake must finish before the first request is read.
    static var needsHandshake: Bool { get }

    /// Takes over an accepted, non-blocking socket.
    /// - Parameters:
    ///   - descriptor: the socket; closed by `close()`.
    ///   - settings: what the connection is made from.
    /// - Returns: nil when the connection cannot be set up (the caller closes the socket).
    init?(descriptor: Int32, settings: Settings)

    /// Runs the handshake as far as the socket allows; called only when `needsHandshake`.
    mutating func handshake() -> TransportHandshakeResult

    /// Reads into `buffer`, which is not empty.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportReadResult

    /// Sends from `bytes`, which are not empty.
    mutating func write(from bytes: UnsafeRawBufferPointer) -> TransportWriteResult

    /// Whether input already taken off the socket waits inside the transport: epoll will not
    /// report it, so read again without waiting.
    var hasBufferedInput: Bool { get }

    /// Ends the sending side once the last answer is out, so the client reads it before the
    /// connection closes; what the client still sends can be read and discarded.
    mutating func shutdownOutput()

    /// Closes the socket and releases what the transport holds.
    mutating func close()
}
