internal import FastReceiverSystem
internal import Foundation
internal import Glibc


/// A raw TCP client for malformed requests: sends bytes as given, reads whatever comes back.
public struct RawConnection: Sendable {
    public let descriptor: Int32

    public init(port: Int, timeout: Double = 5) throws {
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
        guard result == 0 else { throw SystemError("connect") }
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
