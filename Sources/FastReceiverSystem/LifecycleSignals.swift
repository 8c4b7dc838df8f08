internal import CLinux
internal import Glibc

/// SIGTERM, SIGINT and SIGHUP delivered through a signalfd, so they are handled as ordinary
/// events on one thread instead of in async-signal context. Create it before starting any
/// worker thread: threads inherit the blocked signal mask.
public final class LifecycleSignals {
    /// What a signal asks for.
    public enum Request: Sendable { case shutdown, reload }

    private let descriptor: Int32

    /// Blocks the three signals in this thread (and threads created later) and ignores SIGPIPE.
    /// - Throws: `SystemError` when the signalfd cannot be made.
    public init() throws {
        descriptor = fr_signalfd_for_lifecycle()
        guard descriptor >= 0 else { throw SystemError("signalfd") }
    }

    deinit { close(descriptor) }

    /// Blocks until the next signal.
    public func next() -> Request {
        while true {
            switch fr_signalfd_read(descriptor) {
            case SIGTERM, SIGINT: return .shutdown
            case SIGHUP: return .reload
            default: continue
            }
        }
    }
}
