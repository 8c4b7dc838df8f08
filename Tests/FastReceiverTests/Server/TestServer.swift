import Foundation
import Glibc
import Testing
@testable import FastReceiver

/// A real server on 127.0.0.1 and a free port, in this process, for one test.
final class TestServer {
    static let secret = "server-test-secret"
    let receiver: Receiver
    let factory = DTEventFactory(secret: SignatureSecret(TestServer.secret)!)
    /// DATA_DIR of this server: one temporary directory per test.
    let dataDirectory: String

    init(threads: Int = 2, io: JournalFileIO = PosixFileIO(), configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.threads = threads
        configuration.secrets = [SignatureSecret(Self.secret)!]
        configuration.dedupeCapacity = 100_000
        configuration.dataDirectory = NSTemporaryDirectory() + "fast-receiver-test-\(UUID().uuidString)"
        configure(&configuration)
        dataDirectory = configuration.dataDirectory
        receiver = try Receiver(configuration: configuration, io: io)
        receiver.start()
    }

    deinit {
        receiver.stop()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    var server: HTTPServer<EventIngestor> { receiver.server }
    var journal: Journal { receiver.journal }
    var port: Int { server.port }
    var url: String { "http://127.0.0.1:\(port)/" }
    var status: ServiceStatus { server.status }

    func client() throws -> HTTPClientConnection {
        HTTPClientConnection(endpoint: try HTTPClientConnection.Endpoint(url: url))
    }

    /// A signed event request as raw bytes.
    func signedRequest(type: DTEventFactory.EventType = .temperature, extraHeaders: String = "") throws -> (DTEventFactory.Request, [UInt8]) {
        let request = try factory.request(type: type)
        return (request, Self.raw(request, extraHeaders: extraHeaders))
    }

    static func raw(_ request: DTEventFactory.Request, extraHeaders: String = "") -> [UInt8] {
        let head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Dt-Signature: \(request.signature)\r\n\(extraHeaders)Content-Length: \(request.body.count)\r\n\r\n"
        return Array(head.utf8) + request.body
    }

    /// Posts one fresh signed event on a new connection; returns the status.
    func postValidEvent() throws -> Int {
        let connection = try client()
        let request = try factory.request(type: .touch)
        return try connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"]).status
    }

    /// The stored events, as `journal cat` prints them.
    func storedLines() -> [String] {
        let catalog = JournalCatalog(dataDirectory: dataDirectory)
        var lines: [String] = []
        for name in catalog.segments() {
            catalog.forEachRecord(in: name) { lines.append(JournalCatalog.line(for: $0)) }
        }
        return lines
    }
}

/// A raw TCP client for malformed requests: sends bytes as given, reads whatever comes back.
struct RawConnection {
    let descriptor: Int32

    init(port: Int, timeout: Double = 5) throws {
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

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Reads until the peer closes or the timeout passes; returns the bytes and whether it closed.
    func readAll() -> (text: String, closed: Bool) {
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
    func readResponses(_ count: Int) -> [Int] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Self.statuses(String(decoding: data, as: UTF8.self)).count < count {
            let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[..<n]
        }
        return Self.statuses(String(decoding: data, as: UTF8.self))
    }

    static func statuses(_ text: String) -> [Int] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("HTTP/1."), line.count >= 12 else { return nil }
            let code = Int(line.dropFirst(9).prefix(3)) ?? 0
            return code == 100 ? nil : code
        }
    }

    func close() { Glibc.close(descriptor) }
}
