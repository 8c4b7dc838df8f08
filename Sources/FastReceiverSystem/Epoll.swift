internal import CLinux
internal import Glibc

/// Readiness an epoll instance reports or is asked to watch for.
///
/// The raw values are Linux's own `EPOLL*` bits, which are the same on every architecture.
public struct EpollEvents: OptionSet, Sendable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// `EPOLLIN`: there are bytes to read, or a connection to accept.
    public static let readable = EpollEvents(rawValue: 0x001)
    /// `EPOLLOUT`: the socket takes more bytes.
    public static let writable = EpollEvents(rawValue: 0x004)
    /// `EPOLLERR`: the descriptor has an error (always reported).
    public static let error = EpollEvents(rawValue: 0x008)
    /// `EPOLLHUP`: the connection is closed both ways (always reported).
    public static let hangUp = EpollEvents(rawValue: 0x010)
    /// `EPOLLRDHUP`: the peer has closed its sending side.
    public static let peerHalfClosed = EpollEvents(rawValue: 0x2000)
}

/// One epoll instance: the descriptors it watches, each with a 64-bit token that comes back
/// with its events. Owned by one thread; `close()` releases it.
public struct Epoll {
    /// The epoll descriptor.
    public let descriptor: Int32

    /// - Throws: `SystemError` when the kernel cannot make one (`epoll_create1`).
    public init() throws(SystemError) {
        precondition(EpollEvents.readable.rawValue == FR_EPOLLIN && EpollEvents.writable.rawValue == FR_EPOLLOUT
            && EpollEvents.error.rawValue == FR_EPOLLERR && EpollEvents.hangUp.rawValue == FR_EPOLLHUP
            && EpollEvents.peerHalfClosed.rawValue == FR_EPOLLRDHUP, "EpollEvents holds Linux's EPOLL* values")
        descriptor = fr_epoll_create()
        guard descriptor >= 0 else { throw SystemError("epoll_create1") }
    }

    /// Starts watching `fd`.
    /// - Returns: false when the kernel refused (errno says why).
    @discardableResult
    public func add(_ fd: Int32, for events: EpollEvents, token: UInt64) -> Bool {
        fr_epoll_ctl(descriptor, FR_EPOLL_CTL_ADD, fd, events.rawValue, token) == 0
    }

    /// Changes what `fd` is watched for (an empty set pauses it).
    /// - Returns: false when the kernel refused.
    @discardableResult
    public func modify(_ fd: Int32, for events: EpollEvents, token: UInt64) -> Bool {
        fr_epoll_ctl(descriptor, FR_EPOLL_CTL_MOD, fd, events.rawValue, token) == 0
    }

    /// Stops watching `fd` (closing a descriptor also does).
    /// - Returns: false when the kernel refused.
    @discardableResult
    public func remove(_ fd: Int32) -> Bool {
        fr_epoll_ctl(descriptor, FR_EPOLL_CTL_DEL, fd, 0, 0) == 0
    }

    /// Waits for events.
    /// - Parameters:
    ///   - events: where each ready descriptor's events go (raw `EpollEvents`); `tokens` gets its
    ///     token at the same index. At most 256 are reported at once.
    ///   - timeoutMilliseconds: -1 waits until something is ready.
    /// - Returns: how many are ready; -1 on an error (errno says which, `EINTR` included).
    public func wait(events: UnsafeMutableBufferPointer<UInt32>, tokens: UnsafeMutableBufferPointer<UInt64>,
                     timeoutMilliseconds: Int) -> Int {
        let capacity = min(events.count, tokens.count, 256)
        return Int(fr_epoll_wait(descriptor, events.baseAddress, tokens.baseAddress, Int32(capacity), Int32(timeoutMilliseconds)))
    }

    /// Closes the epoll descriptor.
    public func close() {
        _ = Glibc.close(descriptor)
    }
}
