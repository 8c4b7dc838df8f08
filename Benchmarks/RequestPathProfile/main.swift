import FastReceiver
import FastReceiverHTTP
import FastReceiverStorage
import FastReceiverSystem
import FastReceiverTools
import FastReceiverVerification
import Foundation

/// Runs the request path (parse → verify → envelope → dedupe → journal append) for a number of
/// distinct DT-signed requests, for instruction counting under callgrind:
///
///     valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*ingestRequests*' \
///         .build-bench/release/RequestPathProfile 2000
///
/// Instructions per request = the collected total / the count given.

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2000 : 2000
let secret = "dt-data-connector-signature-secret-0123"
let factory = DTEventFactory(secret: SignatureSecret(secret)!)
let date = Date()
var bytes: [UInt8] = []
var ranges: [Range<Int>] = []
for index in 0..<count {
    let request = try factory.request(type: .temperature, device: index % 64, now: date)
    let head = "POST / HTTP/1.1\r\nHost: receiver.example\r\nUser-Agent: DT-Data-Connector\r\nContent-Type: application/json\r\nX-Dt-Signature: \(request.signature)\r\nContent-Length: \(request.body.count)\r\n\r\n"
    let start = bytes.count
    bytes += Array(head.utf8) + request.body
    ranges.append(start..<bytes.count)
}
let directory = NSTemporaryDirectory() + "request-path-profile-\(UUID().uuidString)"
var settings = WorkerJournal.Settings()
settings.durability = .write
let status = ServiceStatus()
let journal = try Journal(dataDirectory: directory, workerCount: 1, settings: settings, dedupeCapacity: count * 2,
                          health: status.storage, wake: [try WakeSignal()])
let ingestor = EventIngestor(worker: 0, verifier: try SignatureVerifier(secrets: [SignatureSecret(secret)!]),
                             eventPath: "/", maxBodyBytes: 1 << 20, status: status, journal: journal)
let now = Int64(date.timeIntervalSince1970 * 1000)

@inline(never)
func ingestRequests(_ storage: UnsafeMutableRawBufferPointer, ranges: [Range<Int>], ingestor: EventIngestor, now: Int64) -> Int {
    var parser = HTTPRequestParser(limits: HTTPLimits())
    var accepted = 0
    for range in ranges {
        let request = UnsafeMutableRawBufferPointer(rebasing: storage[range])
        parser.reset()
        _ = parser.parse(request, count: request.count)
        _ = parser.parse(request, count: request.count)
        let buffer = UnsafeRawBufferPointer(request)
        guard case .accept(let context) = ingestor.headReceived(parser.head, in: buffer, nowMilliseconds: now) else { continue }
        if case .await = ingestor.respond(to: parser.head, context: context, body: UnsafeRawBufferPointer(rebasing: buffer[parser.body]),
                                          in: buffer, nowMilliseconds: now) {
            accepted += 1
        }
    }
    return accepted
}

let accepted = bytes.withUnsafeMutableBytes { ingestRequests($0, ranges: ranges, ingestor: ingestor, now: now) }
journal.close()
try? FileManager.default.removeItem(atPath: directory)
print("\(accepted) of \(count) requests accepted")
