internal import CLinux
internal import Glibc

/// A timerfd on `CLOCK_MONOTONIC`: a descriptor that becomes readable at a deadline, with
/// nanosecond resolution (an epoll timeout counts in milliseconds). Owned by one thread;
/// `close()` releases it.
public struct DeadlineTimer {
    /// The timer's descriptor, to watch with epoll.
    public let descriptor: Int32

    /// - Throws: `SystemError` when the kernel cannot make one (`timerfd_create`).
    public init() throws(SystemError) {
        descriptor = fr_timerfd_create()
        guard descriptor >= 0 else { throw SystemError("timerfd_create") }
    }

    /// Fires once at `deadline`, in `MonotonicClock.nanoseconds()`; 0 disarms it.
    public func arm(at deadline: UInt64) {
        _ = fr_timerfd_arm(descriptor, deadline)
    }

    /// Clears a fired timer.
    /// - Returns: how often it fired since the last call; 0 when it has not.
    @discardableResult
    public func acknowledge() -> UInt64 {
        fr_timerfd_read(descriptor)
    }

    /// Closes the descriptor.
    public func close() {
        _ = Glibc.close(descriptor)
    }
}
