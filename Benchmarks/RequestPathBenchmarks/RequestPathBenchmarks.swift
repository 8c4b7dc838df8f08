import Benchmark
import FastReceiver
import FastReceiverHTTP
import FastReceiverStorage
import FastReceiverSystem
import FastReceiverTools
import FastReceiverVerification
import Foundation

/// The request path without sockets: the HTTP parser alone, and parse → verify → envelope →
/// dedupe → journal append for distinct DT-signed events, as a worker runs them.
///
/// Each sample runs 1,000 requests. Malloc counts are checked against committed thresholds;
/// time is reported but never checked.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: RequestPool.count / 1000 - 1,
        thresholds: [.mallocCountTotal: .strict]
    )

    Benchmark("HTTP.parse.DT-request") { (benchmark: Benchmark, pool: RequestPool) in
        var parser = HTTPRequestParser(limits: HTTPLimits())
        for _ in benchmark.scaledIterations {
            let request = pool.next()
            parser.reset()
            blackHole(parser.parse(request, count: request.count))
            blackHole(parser.parse(request, count: request.count))
        }
    } setup: {
        try RequestPool()
    }

    // Mallocs are counted process-wide, and the journal's sync thread runs beside the loop: once
    // in a while it grows a batch buffer past a new high-water mark. Ten mallocs per 1,000
    // requests of slack absorbs that; anything per request still fails the check.
    Benchmark("Ingest.DT-request.600B", configuration: .init(thresholds: [.mallocCountTotal: .init(absolute: [.p90: 10])])) {
        (benchmark: Benchmark, pool: RequestPool) in
        var parser = HTTPRequestParser(limits: HTTPLimits())
        for _ in benchmark.scaledIterations {
            let request = pool.next()
            parser.reset()
            _ = parser.parse(request, count: request.count)
            _ = parser.parse(request, count: request.count)
            let buffer = UnsafeRawBufferPointer(request)
            guard case .accept(let context) = pool.ingestor.headReceived(parser.head, in: buffer, nowMilliseconds: pool.now) else {
                fatalError("the fixture was refused")
            }
            blackHole(pool.ingestor.respond(to: parser.head, context: context, body: UnsafeRawBufferPointer(rebasing: buffer[parser.body]),
                                            in: buffer, nowMilliseconds: pool.now))
        }
    } setup: {
        try RequestPool()
    }
}

/// Distinct signed requests, laid out in one buffer, and an ingestor with a real journal
/// (write durability, in a temporary directory) to hand them to.
final class RequestPool: @unchecked Sendable {
    static let count = 60_000
    let storage: UnsafeMutableRawBufferPointer
    private var offsets: [Range<Int>] = []
    private var position = 0
    let ingestor: EventIngestor
    let journal: Journal
    let now: Int64

    init() throws {
        let secret = "dt-data-connector-signature-secret-0123"
        let factory = DTEventFactory(secret: SignatureSecret(secret)!)
        let date = Date()
        now = Int64(date.timeIntervalSince1970 * 1000)
        var bytes: [UInt8] = []
        for index in 0..<Self.count {
            let request = try factory.request(type: .temperature, device: index % 64, now: date)
            let head = "POST / HTTP/1.1\r\nHost: receiver.example\r\nUser-Agent: DT-Data-Connector\r\nContent-Type: application/json\r\nX-Dt-Signature: \(request.signature)\r\nContent-Length: \(request.body.count)\r\n\r\n"
            let start = bytes.count
            bytes += Array(head.utf8) + request.body
            offsets.append(start..<bytes.count)
        }
        storage = .allocate(byteCount: bytes.count, alignment: 16)
        storage.copyBytes(from: bytes)
        let directory = NSTemporaryDirectory() + "request-path-\(UUID().uuidString)"
        var settings = WorkerJournal.Settings()
        settings.durability = .write
        let status = ServiceStatus()
        journal = try Journal(dataDirectory: directory, workerCount: 1, settings: settings, dedupeCapacity: Self.count * 2,
                              health: status.storage, wake: [try WakeSignal()])
        ingestor = EventIngestor(worker: 0, verifier: try SignatureVerifier(secrets: [SignatureSecret(secret)!]),
                                 eventPath: "/", maxBodyBytes: 1 << 20, status: status, journal: journal)
    }

    /// The next request, as a mutable buffer of exactly its bytes.
    func next() -> UnsafeMutableRawBufferPointer {
        let range = offsets[position]
        position = (position + 1) % offsets.count
        return UnsafeMutableRawBufferPointer(rebasing: storage[range])
    }
}
