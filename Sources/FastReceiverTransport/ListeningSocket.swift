internal import FastReceiverSystem
internal import Glibc

/// A non-blocking TCP listener with `SO_REUSEPORT`, one per worker, all on the same address so
/// that the kernel spreads connections across workers.
enum ListeningSocket {
    /// Checks that nothing else holds `host:port`, not even another `SO_REUSEPORT` group.
    /// - Throws: `ListenerError` with a sentence for the operator.
    static func ensureAvailable(host: String, port: Int) throws {
        guard port != 0 else { return }
        let probe = try open(host: host, port: port, reusePort: false, backlog: 1)
        close(probe)
    }

    /// Opens, binds and listens.
    /// - Returns: the descriptor.
    /// - Throws: `ListenerError` for an unusable address or a port in use.
    static func open(host: String, port: Int, reusePort: Bool, backlog: Int) throws -> Int32 {
        var address = sockaddr_storage()
        var length: socklen_t = 0
        var v4 = in_addr()
        var v6 = in6_addr()
        let family: Int32
        if inet_pton(AF_INET, host, &v4) == 1 {
            family = AF_INET
            withUnsafeMutableBytes(of: &address) { raw in
                var sin = sockaddr_in()
                sin.sin_family = sa_family_t(AF_INET)
                sin.sin_port = in_port_t(UInt16(port).bigEndian)
                sin.sin_addr = v4
                raw.storeBytes(of: sin, as: sockaddr_in.self)
            }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            family = AF_INET6
            withUnsafeMutableBytes(of: &address) { raw in
                var sin6 = sockaddr_in6()
                sin6.sin6_family = sa_family_t(AF_INET6)
                sin6.sin6_port = in_port_t(UInt16(port).bigEndian)
                sin6.sin6_addr = v6
                raw.storeBytes(of: sin6, as: sockaddr_in6.self)
            }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            throw ListenerError("The host \(host) is not an IPv4 or IPv6 address; use e.g. 0.0.0.0, 127.0.0.1 or ::.")
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ListenerError("Cannot create a socket: \(SystemError("socket")).") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort {
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let error = errno
            close(fd)
            if error == EADDRINUSE {
                throw ListenerError("Port \(port) on \(host) is already in use; stop the other process or choose another --port.")
            }
            if error == EACCES {
                throw ListenerError("Binding port \(port) on \(host) is not permitted; use a port above 1023 or grant CAP_NET_BIND_SERVICE.")
            }
            throw ListenerError("Cannot listen on \(host):\(port): \(SystemError("bind", errno: error)).")
        }
        guard listen(fd, Int32(clamping: backlog)) == 0 else {
            let error = SystemError("listen")
            close(fd)
            throw ListenerError("Cannot listen on \(host):\(port): \(error).")
        }
        return fd
    }

    /// The port a bound socket listens on (to learn the port chosen for port 0).
    static func localPort(_ fd: Int32) -> Int {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return withUnsafeBytes(of: address) { raw in
            // sin_port and sin6_port sit at the same offset.
            Int(UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self)))
        }
    }
}
