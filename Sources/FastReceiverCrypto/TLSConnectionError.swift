internal import COpenSSL
internal import Glibc

/// One TLS connection failed. Carries no bytes and allocates nothing, so a flood of scanners
/// sending junk costs no more than counting them; the sentence is built only when logged.
public struct TLSConnectionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed.
    public enum Operation: String, Sendable {
        case handshake, read, write
    }

    /// Why it failed.
    public enum Cause: Sendable, Equatable {
        /// The peer closed the TCP connection where TLS did not allow it (mid-handshake, or
        /// while we were writing).
        case peerClosed
        /// The socket failed (`ECONNRESET`, `EPIPE`, ...).
        case socket(errno: Int32)
        /// OpenSSL refused what the peer sent or asked for; its packed error code (0 if none).
        case tls(code: UInt)
    }

    public let operation: Operation
    public let cause: Cause

    /// OpenSSL's reason for a `.tls` cause, e.g. "wrong version number", "no shared cipher",
    /// "unsupported protocol", "http request"; nil for other causes.
    public var reason: String? {
        guard case .tls(let code) = cause, let text = fr_error_reason(code) else { return nil }
        return String(cString: text)
    }

    /// The socket's errno when the socket failed; nil for other causes.
    public var socketErrno: Int32? {
        if case .socket(let error) = cause { return error }
        return nil
    }

    public var description: String {
        switch cause {
        case .peerClosed:
            return "The peer closed the connection during the TLS \(operation.rawValue)."
        case .socket(let error):
            return "The TLS \(operation.rawValue) failed on the socket: \(String(cString: strerror(error)))."
        case .tls:
            return "The TLS \(operation.rawValue) failed: \(reason ?? "OpenSSL gave no reason")."
        }
    }
}
