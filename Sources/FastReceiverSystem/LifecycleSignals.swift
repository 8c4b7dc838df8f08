internal import CLinux
internal import Glibc

/// SIGTERM, SIGINT and SIGHUP delivered through a signalfd, so they are handled as ordinary
/// events on one thread instead of in async-signal context. Create it before starting any
/// worker thread: threads inherit the blocked signal mask.
public final class LifecycleSignals {
    /// What a signal asks for.
    public enum Request: Sendable { case shutdown, reload }

    private let descriptor: Int32

    /// Undoes whatever signal state the parent handed down: blocks no signal and gives SIGTERM,
    /// SIGINT, SIGHUP and SIGPIPE their default action.
    ///
    /// A parent's blocked mask and ignored signals survive `exec`: a supervisor, a shell wrapper
    /// or a language runtime (libdispatch's worker threads block nearly every signal) would
    /// otherwise start a process that SIGTERM cannot stop. Call it first in `main`, before any
    /// thread exists, so that every thread starts from this state.
    /// - Throws: `SystemError` when the kernel refuses the change.
    public static func restoreDefaults() throws {
        guard fr_signals_restore_defaults() == 0 else { throw SystemError("sigaction") }
    }

    /// Blocks the three signals in this thread (and threads created later), so that only the
    /// signalfd sees them.
    /// - Throws: `SystemError` when the signalfd cannot be made.
    public init() throws {
        descriptor = fr_signalfd_for_lifecycle()
        guard descriptor >= 0 else { throw SystemError("signalfd") }
    }

    deinit { close(descriptor) }

    /// Blocks until the next signal.
    public func next() -> Request {
        while true {
            if let request = Self.request(for: fr_signalfd_read(descriptor)) { return request }
        }
    }

    /// Waits for a signal, at most `milliseconds`.
    /// - Parameter milliseconds: how long to wait; 0 only looks.
    /// - Returns: what the signal asks for, or nil when none arrived in time.
    public func next(waitingAtMost milliseconds: Int32) -> Request? {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, milliseconds) == 1 else { return nil }
        return Self.request(for: fr_signalfd_read(descriptor))
    }

    private static func request(for signal: Int32) -> Request? {
        switch signal {
        case SIGTERM, SIGINT: .shutdown
        case SIGHUP: .reload
        default: nil
        }
    }
}
