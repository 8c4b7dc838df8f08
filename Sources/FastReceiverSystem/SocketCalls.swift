internal import CLinux

/// Socket calls that Glibc's Swift module does not offer in the form the server needs.
public enum SocketCalls {
    /// Accepts a pending connection as a non-blocking, close-on-exec socket (`accept4`).
    /// - Returns: the connection's descriptor, or -1 (errno says why: `EAGAIN` when none waits).
    public static func acceptNonBlocking(_ listener: Int32) -> Int32 {
        fr_accept(listener)
    }
}
