internal import FastReceiverSystem
internal import Foundation
internal import Glibc


/// A raw TCP client for malformed requests: sends bytes as given, reads whatever comes back.
public struct RawConnection: Sendable {
    public let descriptor: Int32

    /// Connects to `port` on 127.0.0.1.
    /// - Parameter timeout: seconds each read waits for the peer: a deadline only a hang misses
    ///   by default, since reading until the peer closes returns as soon as it does.
    /// - Throws: `SystemError` when the connection is refused.
    public init(port: Int, timeout: Double = 30) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = SystemError("connect")
            Glibc.close(descriptor)
            throw error
        }
    }

    /// Whether a connection to `port` is refused now, as it is once the listener has closed.
    public static func isRefused(port: Int) -> Bool {
        guard let probe = try? RawConnection(port: port) else { return true }
        probe.close()
        return false
    }

    /// Whether nothing arrives, neither a byte nor the peer's close, for `duration`.
    ///
    /// How a test asserts that something does not happen, and only that: it always takes the
    /// whole `duration`. To wait for something that should happen, read instead, which returns as
    /// soon as it does.
    public func staysQuiet(for duration: Duration) -> Bool {
        var watched = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(duration / .milliseconds(1))
        var ready: Int32
        repeat { ready = poll(&watched, 1, milliseconds) } while ready == -1 && errno == EINTR
        return ready == 0
    }

    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    public func send(_ text: String) { send(Array(text.utf8)) }

    /// Reads until the peer closes or the timeout passes; returns the bytes and whether it closed.
    public func readAll() -> (text: String, closed: Bool) {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                data += buffer[..<n]
                continue
            }
            return (String(decoding: data, as: UTF8.self), n == 0 || (n < 0 && errno == ECONNRESET))
        }
    }

    /// The interim answer to `Expect: 100-continue`, as it appears on the wire.
    public static let continueInterim = "HTTP/1.1 100 Continue\r\n\r\n"

    /// Reads exactly `count` bytes, or fewer if the peer closes or the timeout passes first.
    public func read(count: Int) -> String {
        var data = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let n = data[received...].withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += n
        }
        return String(decoding: data[..<received], as: UTF8.self)
    }

    /// Reads until at least `count` responses' status lines have arrived (or timeout/close).
    public func readResponses(_ count: Int) -> [Int] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Self.statuses(String(decoding: data, as: UTF8.self)).count < count {
            let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[..<n]
        }
        return Self.statuses(String(decoding: data, as: UTF8.self))
    }

    public static func statuses(_ text: String) -> [Int] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("HTTP/1."), line.count >= 12 else { return nil }
            let code = Int(line.dropFirst(9).prefix(3)) ?? 0
            return code == 100 ? nil : code
        }
    }

    public func close() { Glibc.close(descriptor) }
}
