public import FastReceiver
public import FastReceiverStorage
public import FastReceiverTools
internal import FastReceiverTransport
internal import FastReceiverVerification
internal import Foundation
internal import Glibc
internal import Testing


/// A real server on 127.0.0.1 and a free port, in this process, for one test.
public final class TestServer {
    public static let secret = "server-test-secret"
    public let receiver: Receiver
    public let factory = DTEventFactory(secret: SignatureSecret(TestServer.secret)!)
    /// DATA_DIR of this server: one temporary directory per test.
    public let dataDirectory: String

    public init(threads: Int = 2, io: any JournalFileIO = PosixFileIO(), configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.server.host = "127.0.0.1"
        configuration.server.port = 0
        configuration.server.workers = threads
        configuration.secrets = [SignatureSecret(Self.secret)!]
        configuration.dedupeCapacity = 100_000
        // Small segments: with fsync durability each worker's segment and its successor are
        // zero-filled and synced in full ahead of use, which at 64 MiB dominates a short test.
        configuration.journal.segmentMaxBytes = 4 << 20
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

    public var journal: Journal { receiver.journal }
    public var port: Int { receiver.port }
    public var url: String { "\(receiver.tls == nil ? "http" : "https")://127.0.0.1:\(port)/" }
    public var status: ServiceStatus { receiver.status }

    /// A client connected to this server, whose reads wait as long as only a hang would take.
    public func client() throws -> HTTPClientConnection {
        let connection = HTTPClientConnection(endpoint: try HTTPClientConnection.Endpoint(url: url))
        try connection.connect(timeout: generousDeadline / .seconds(1))
        return connection
    }

    /// A signed event request as raw bytes.
    public func signedRequest(type: DTEventFactory.EventType = .temperature, extraHeaders: String = "") throws -> (DTEventFactory.Request, [UInt8]) {
        let request = try factory.request(type: type)
        return (request, Self.raw(request, extraHeaders: extraHeaders))
    }

    public static func raw(_ request: DTEventFactory.Request, extraHeaders: String = "") -> [UInt8] {
        let head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Dt-Signature: \(request.signature)\r\n\(extraHeaders)Content-Length: \(request.body.count)\r\n\r\n"
        return Array(head.utf8) + request.body
    }

    /// Posts one fresh signed event on a new connection; returns the status.
    public func postValidEvent() throws -> Int {
        let connection = try client()
        let request = try factory.request(type: .touch)
        return try connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"]).status
    }

    /// The stored events, as `journal cat` prints them.
    public func storedLines() -> [String] {
        let catalog = JournalCatalog(dataDirectory: dataDirectory)
        var lines: [String] = []
        for name in catalog.segments() {
            catalog.forEachRecord(in: name) { lines.append(JournalCatalog.line(for: $0)) }
        }
        return lines
    }
}
