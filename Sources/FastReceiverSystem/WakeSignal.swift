internal import CLinux
internal import Glibc

/// An eventfd that wakes one worker's epoll loop from another thread (a journal sync finishing,
/// a shutdown starting). `signal` is safe from any thread.
public final class WakeSignal: Sendable {
    public let descriptor: Int32

    /// - Throws: `SystemError` when the eventfd cannot be made.
    public init() throws {
        descriptor = fr_eventfd()
        guard descriptor >= 0 else { throw SystemError("eventfd") }
    }

    deinit { close(descriptor) }

    public func signal() {
        var one: UInt64 = 1
        _ = write(descriptor, &one, 8)
    }

    /// Clears pending wake-ups (called by the woken loop).
    public func drain() {
        var value: UInt64 = 0
        _ = read(descriptor, &value, 8)
    }
}
