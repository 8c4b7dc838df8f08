internal import COpenSSL

/// One TLS connection over a socket: the server side, for an epoll loop, or the client side,
/// for `send` and `healthcheck`.
///
/// Every call returns at once. `wantRead` and `wantWrite` say which readiness to wait for before
/// calling the same method again, and either can come from any call: a read may have to write
/// (a TLS 1.3 key update answer), a write may have to read. OpenSSL reads and writes the socket
/// itself, so no ciphertext is copied through Swift, and reads ahead: one `recv` takes whatever
/// records have arrived, so check `hasBufferedInput` before waiting for epoll. It sends with
/// `MSG_NOSIGNAL` (a reset peer never raises SIGPIPE) and never closes the descriptor, which
/// stays the caller's to close once this object is gone. Owned by one thread at a time (not
/// `Sendable`).
///
/// The calls allocate nothing of their own. OpenSSL gives its record buffers (about 17 KiB each
/// way) back while a connection is idle and takes them again when it has work, so an idle
/// keep-alive connection costs little more than the SSL object.
public final class TLSConnection {
    /// The outcome of `handshake()`.
    public enum HandshakeResult: Sendable, Equatable {
        /// The handshake is complete: read and write plaintext from now on.
        case done
        /// Call `handshake()` again once the socket is readable.
        case wantRead
        /// Call `handshake()` again once the socket is writable.
        case wantWrite
        /// The handshake failed (a scanner, an old client, plain HTTP on the port): close.
        case failed(TLSConnectionError)
    }

    /// The outcome of `read(into:)`.
    public enum ReadResult: Sendable, Equatable {
        /// This many plaintext bytes were written to the buffer (at least one).
        case bytes(Int)
        /// Nothing to read yet: call again once the socket is readable.
        case wantRead
        /// OpenSSL must write first: call again once the socket is writable.
        case wantWrite
        /// The peer finished: close_notify, or a TCP close without it (which HTTP's own
        /// framing makes harmless: a cut request is an incomplete request). `shutdown()` may
        /// still answer with close_notify.
        case closed
        /// The connection is broken: close it.
        case failed(TLSConnectionError)
    }

    /// The outcome of `write(_:)`.
    public enum WriteResult: Sendable, Equatable {
        /// This many bytes were taken (at least one, perhaps fewer than offered).
        case bytes(Int)
        /// OpenSSL must read first: call again, with the same bytes, once the socket is readable.
        case wantRead
        /// The socket is full: call again, with the same bytes, once it is writable.
        case wantWrite
        /// The connection is broken: close it.
        case failed(TLSConnectionError)
    }

    /// The context this connection was made from, kept alive as long as the connection is.
    private let context: AnyObject
    /// The SSL object.
    private let ssl: UnsafeMutableRawPointer
    /// Set after a fatal error, after which OpenSSL must not be asked to send close_notify.
    private var isBroken = false

    /// Starts the server side of TLS on an accepted, non-blocking socket.
    /// - Parameters:
    ///   - context: the certificate and policy to serve (the current one, for a new connection).
    ///   - descriptor: the socket; never closed here.
    /// - Throws: `CryptoError` when OpenSSL cannot allocate the connection.
    public init(context: TLSServerContext, descriptor: Int32) throws(CryptoError) {
        guard let ssl = fr_tls_connection_new(context.server, descriptor) else { throw CryptoError("SSL_new") }
        self.context = context
        self.ssl = ssl
    }

    /// Starts the client side of TLS on a connected socket.
    /// - Parameters:
    ///   - context: the client policy and trust.
    ///   - descriptor: the socket; never closed here.
    ///   - serverName: the host the certificate must name (an IP address or a DNS name, sent as SNI).
    /// - Throws: `CryptoError` when OpenSSL cannot allocate the connection or take the name.
    public init(client context: TLSClientContext, descriptor: Int32, serverName: String) throws(CryptoError) {
        guard let ssl = fr_tls_client_connection_new(context.client, descriptor, serverName) else { throw CryptoError("SSL_new") }
        self.context = context
        self.ssl = ssl
    }

    deinit {
        // A connection that ended without a failure keeps its session resumable.
        fr_tls_connection_free(ssl, !isBroken && isHandshakeDone ? 1 : 0)
    }

    /// Runs the handshake as far as the socket allows.
    ///
    /// After `.done`, read at once rather than wait for epoll: the client's first request may
    /// have come with its last handshake message and already sit in OpenSSL's buffer.
    public func handshake() -> HandshakeResult {
        var detail: UInt = 0
        switch step(fr_tls_handshake(ssl, &detail), detail, .handshake) {
        case .done: return .done
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closed: return .failed(fail(.handshake, .peerClosed))
        case .failed(let error): return .failed(error)
        }
    }

    /// Reads plaintext into `buffer`.
    ///
    /// After `.bytes`, check `hasBufferedInput`: input OpenSSL has already taken off the socket
    /// never wakes epoll again.
    /// - Parameter buffer: where to put plaintext; not empty.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        precondition(!buffer.isEmpty, "a TLS read needs room for at least one byte")
        var count = 0
        var detail: UInt = 0
        switch step(fr_tls_read(ssl, buffer.baseAddress, buffer.count, &count, &detail), detail, .read) {
        case .done: return .bytes(count)
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closed: return .closed
        case .failed(let error): return .failed(error)
        }
    }

    /// Encrypts and sends plaintext from `bytes`, one TLS record at most per call.
    ///
    /// After `.wantRead` or `.wantWrite`, call again with the same unsent bytes (they may sit at
    /// another address): OpenSSL may already hold a record made from them.
    /// - Parameter bytes: what to send; not empty.
    public func write(_ bytes: UnsafeRawBufferPointer) -> WriteResult {
        precondition(!bytes.isEmpty, "a TLS write sends at least one byte")
        var count = 0
        var detail: UInt = 0
        switch step(fr_tls_write(ssl, bytes.baseAddress, bytes.count, &count, &detail), detail, .write) {
        case .done: return .bytes(count)
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closed: return .failed(fail(.write, .peerClosed))
        case .failed(let error): return .failed(error)
        }
    }

    /// Sends close_notify if the connection can still carry it, without waiting for the peer's.
    ///
    /// Best effort: on a full socket it is dropped, and the caller closes the socket anyway.
    public func shutdown() {
        guard !isBroken, fr_tls_is_handshake_done(ssl) == 1 else { return }
        var detail: UInt = 0
        _ = fr_tls_shutdown(ssl, &detail)
    }

    /// Whether OpenSSL holds input already taken off the socket: plaintext not yet read, or the
    /// start of the next record. When true, read again without waiting for epoll.
    public var hasBufferedInput: Bool {
        fr_tls_has_pending(ssl) == 1
    }

    /// Why the peer's certificate was not trusted ("certificate has expired", "hostname
    /// mismatch"), after a client handshake failed on it; nil when it verified or was not checked.
    public var verificationFailure: String? {
        fr_tls_verify_failure(ssl).map { String(cString: $0) }
    }

    /// Whether the handshake has completed.
    public var isHandshakeDone: Bool {
        fr_tls_is_handshake_done(ssl) == 1
    }

    /// The negotiated protocol, "TLSv1.2" or "TLSv1.3" (for logs and tests).
    public var protocolVersion: String {
        String(cString: fr_tls_version_name(ssl))
    }

    /// The negotiated cipher suite's OpenSSL name, e.g. "TLS_AES_256_GCM_SHA384"; nil before
    /// the handshake.
    public var cipherSuite: String? {
        fr_tls_cipher_name(ssl).map { String(cString: $0) }
    }

    /// The protocol agreed through ALPN: "http/1.1", or nil when the client offered no ALPN.
    public var applicationProtocol: String? {
        var length: UInt32 = 0
        guard let bytes = fr_tls_alpn_selected(ssl, &length), length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self)
    }

    /// Whether the handshake resumed an earlier session (by ticket or from the cache).
    public var isSessionReused: Bool {
        fr_tls_session_reused(ssl) == 1
    }

    /// An I/O outcome, before each call narrows it to what it can return.
    private enum Step {
        case done, wantRead, wantWrite, closed
        case failed(TLSConnectionError)
    }

    /// Turns a shim outcome code into a step, marking the connection broken on failure.
    private func step(_ code: Int32, _ detail: UInt, _ operation: TLSConnectionError.Operation) -> Step {
        switch Int(code) {
        case FR_TLS_IO_DONE: return .done
        case FR_TLS_IO_WANT_READ: return .wantRead
        case FR_TLS_IO_WANT_WRITE: return .wantWrite
        case FR_TLS_IO_CLOSED: return .closed
        case FR_TLS_IO_EOF:
            isBroken = true
            return .closed
        case FR_TLS_IO_SYSCALL: return .failed(fail(operation, .socket(errno: Int32(truncatingIfNeeded: detail))))
        default: return .failed(fail(operation, .tls(code: detail)))
        }
    }

    /// Marks the connection broken and describes why.
    private func fail(_ operation: TLSConnectionError.Operation, _ cause: TLSConnectionError.Cause) -> TLSConnectionError {
        isBroken = true
        return TLSConnectionError(operation: operation, cause: cause)
    }
}
