import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@testable import FastReceiver
@testable import FastReceiverHTTP
@testable import FastReceiverStorage
@testable import FastReceiverSystem
@testable import FastReceiverTools
@testable import FastReceiverVerification

/// `EventIngestor` driven as a worker drives it, without sockets: `HTTPRequestParser` parses each
/// request from a buffer, `headReceived` sees it once its head is complete, `respond` once it is
/// whole, and a deferred answer is asked for with `resolve`. Requests are DT's own signed samples;
/// the journal is real, in a temporary directory of the test's own.
@Suite struct EventIngestorTests {
    /// Every worker's ingest pipeline over one journal, as a receiver wires them.
    final class Pipeline {
        let data = NSTemporaryDirectory() + "fast-receiver-ingest-\(UUID().uuidString)"
        let io = RecordingFileIO()
        let status = ServiceStatus()
        let wake: [WakeSignal]
        let journal: Journal
        let metrics: [IngestMetrics]
        let ingestors: [EventIngestor]

        /// - Parameters:
        ///   - workers: how many workers (each its own ingestor, metrics and journal segment).
        ///   - maxBodyBytes: the cap on a body after content decoding.
        init(workers: Int = 1, maxBodyBytes: Int = 1 << 20) throws {
            let status = status
            let wake = try (0..<workers).map { _ in try WakeSignal() }
            let journal = try Journal(dataDirectory: data, workerCount: workers, io: io, health: status.storage, wake: wake)
            let metrics = (0..<workers).map { _ in IngestMetrics() }
            ingestors = try (0..<workers).map { worker in
                EventIngestor(worker: worker, verifier: try SignatureVerifier(secrets: [try #require(SignatureSecret(Fixtures.dtSecret))]),
                              eventPath: "/", maxBodyBytes: maxBodyBytes, status: status, journal: journal, metrics: metrics[worker])
            }
            self.wake = wake
            self.journal = journal
            self.metrics = metrics
        }

        deinit {
            journal.close()
            try? FileManager.default.removeItem(atPath: data)
        }

        /// The event ids stored so far, in storage order.
        func storedIDs() -> [String] {
            let catalog = JournalCatalog(dataDirectory: data)
            var ids: [String] = []
            for name in catalog.segments() { catalog.forEachRecord(in: name) { ids.append(String(decoding: $0.eventID, as: UTF8.self)) } }
            return ids
        }

        /// Whether a batch's sync has been reached and is held by the closed gate.
        var isSyncHeld: Bool { io.operations.suffix(2) == ["write", "fdatasync"] }
    }

    /// What the ingestor made of one request.
    enum Outcome {
        /// Refused from the head, before any body was read.
        case refused(HTTPResponse)
        /// Answered by `respond`.
        case answered(HTTPResponse)
        /// Waiting on this ticket.
        case awaiting(DurabilityTicket)

        /// The status and body of an answer given at once, from the head or the whole request.
        var answer: (status: Int, body: String)? {
            switch self {
            case .refused(let response), .answered(let response): (response.status, EventIngestorTests.text(of: response))
            case .awaiting: nil
            }
        }
    }

    static let samples = (try? Fixtures.dtRequests()) ?? []

    static func text(of response: HTTPResponse) -> String {
        switch response.body {
        case .constant(let text): text.description
        case .text(let text): text
        }
    }

    /// A request's bytes: `method path HTTP/1.1`, a Host, `headers`, and the body framed by Content-Length.
    static func request(_ method: String = "POST", _ path: String = "/", headers: [String] = [], body: [UInt8] = []) -> [UInt8] {
        let fields = (["Host: receiver.example.com"] + headers + (body.isEmpty ? [] : ["Content-Length: \(body.count)"]))
            .map { $0 + "\r\n" }.joined()
        return Array("\(method) \(path) HTTP/1.1\r\n\(fields)\r\n".utf8) + body
    }

    /// A DT sample as DT posts it, its body optionally replaced (by a tampered or encoded one).
    static func post(_ sample: Fixtures.DTRequest, body: [UInt8]? = nil, headers: [String] = []) -> [UInt8] {
        request(headers: ["Content-Type: application/json", "X-Dt-Signature: \(sample.signature)"] + headers, body: body ?? sample.body)
    }

    /// Parses `bytes` and hands the request to `ingestor` as a worker does: the head as soon as it
    /// is complete, the whole request only if the head was accepted.
    /// - Parameter nowSeconds: the Unix time the request arrives at.
    static func handle(_ bytes: [UInt8], by ingestor: EventIngestor, at nowSeconds: Int64) throws -> Outcome {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        let whole = UnsafeRawBufferPointer(buffer)
        var parser = HTTPRequestParser(limits: HTTPLimits())
        try #require(parser.parse(buffer, count: bytes.count) == .head)
        let context: EventIngestor.RequestContext
        switch ingestor.headReceived(parser.head, in: whole, nowMilliseconds: nowSeconds * 1000) {
        case .refuse(let response): return .refused(response)
        case .accept(let accepted): context = accepted
        }
        try #require(parser.parse(buffer, count: bytes.count) == .complete)
        let body = UnsafeRawBufferPointer(rebasing: whole[parser.body])
        switch ingestor.respond(to: parser.head, context: context, body: body, in: whole, nowMilliseconds: nowSeconds * 1000) {
        case .respond(let response): return .answered(response)
        case .await(let ticket): return .awaiting(ticket)
        }
    }

    /// The answer `ingestor` gives for `ticket` once it has one, asking as a worker does (each
    /// time its wake signal rings) until then.
    static func resolved(_ ticket: DurabilityTicket, by ingestor: EventIngestor) -> HTTPResponse? {
        var answer: HTTPResponse?
        _ = waitUntil {
            answer = ingestor.resolve(ticket)
            return answer != nil
        }
        return answer
    }

    /// Whether `signal` has been rung since it was last drained.
    static func isRung(_ signal: WakeSignal) -> Bool {
        var watched = pollfd(fd: signal.descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&watched, 1, 0) == 1
    }

    /// The count of refusals for `label` (one of `SignatureRejection.labels`).
    static func rejections(_ metrics: IngestMetrics, _ label: String) throws -> Int64 {
        metrics.rejections(at: try #require(SignatureRejection.labels.firstIndex(of: label)))
    }

    @Test("Each of DT's sample requests is accepted from its head, stored verbatim, and answered 200 once durable", arguments: samples)
    func storesSample(_ sample: Fixtures.DTRequest) throws {
        let pipeline = try Pipeline()
        let ingestor = pipeline.ingestors[0]
        guard case .awaiting(let ticket) = try Self.handle(Self.post(sample), by: ingestor, at: sample.iat) else {
            Issue.record("a verified event was answered before it was stored")
            return
        }
        let answer = try #require(Self.resolved(ticket, by: ingestor))
        #expect(answer.status == 200 && Self.text(of: answer) == "OK\n")
        #expect(pipeline.metrics[0].accepted == 1)
        let catalog = JournalCatalog(dataDirectory: pipeline.data)
        var stored: [JournalRecord] = []
        for name in catalog.segments() { catalog.forEachRecord(in: name) { stored.append($0) } }
        #expect(stored.map(\.body) == [sample.body])
        #expect(stored.first?.receivedAtMilliseconds == sample.iat * 1000)
    }

    @Test("Routes: health and readiness for GET and HEAD, 405 with Allow for other methods, 404 elsewhere and for /metrics without a registry",
          arguments: [
              ("GET", "/healthz", 200, nil), ("HEAD", "/healthz", 200, nil), ("GET", "/readyz", 200, nil), ("HEAD", "/readyz", 200, nil),
              ("POST", "/healthz", 405, "GET, HEAD"), ("DELETE", "/readyz", 405, "GET, HEAD"), ("GET", "/", 405, "POST"),
              ("PUT", "/", 405, "POST"), ("GET", "/metrics", 404, nil), ("GET", "/nope", 404, nil), ("POST", "/events", 404, nil),
          ] as [(String, String, Int, String?)])
    func routes(method: String, path: String, status: Int, allow: String?) throws {
        let pipeline = try Pipeline()
        let outcome = try Self.handle(Self.request(method, path), by: pipeline.ingestors[0], at: UnixTime.now())
        #expect(outcome.answer?.status == status)
        switch outcome {
        case .refused(let response): #expect(response.allow.map { "\($0)" } == allow)
        case .answered: #expect(status == 200, "only an accepted route is answered by respond")
        case .awaiting: Issue.record("a \(method) \(path) waits on storage")
        }
    }

    @Test("A token that does not verify is refused from its head with 401 and its reason, and counted")
    func refusedFromTheHead() throws {
        let pipeline = try Pipeline()
        let ingestor = pipeline.ingestors[0]
        let sample = try #require(Self.samples.last)
        let forged = try DTEventFactory(secret: try #require(SignatureSecret("another-secret"))).sign(body: sample.body, issuedAt: sample.iat)
        let cases: [(request: [UInt8], at: Int64, label: String, reason: String)] = [
            (Self.request(headers: ["Content-Type: application/json"], body: sample.body), sample.iat, "missing_signature", "X-Dt-Signature header is missing"),
            (Self.post(sample, headers: ["x-dt-signature: \(sample.signature)"]), sample.iat, "repeated_signature", "more than one X-Dt-Signature"),
            (Self.request(headers: ["X-Dt-Signature: \(forged)"], body: sample.body), sample.iat, "signature_mismatch", "does not match any configured secret"),
            (Self.post(sample), sample.exp + 61, "expired", "expired"),
        ]
        for (request, now, label, reason) in cases {
            let outcome = try Self.handle(request, by: ingestor, at: now)
            guard case .refused(let response) = outcome else {
                Issue.record("\(label): not refused from the head")
                continue
            }
            #expect(response.status == 401, "\(label)")
            #expect(Self.text(of: response).contains(reason), "\(label): \(Self.text(of: response))")
            #expect(try Self.rejections(pipeline.metrics[0], label) == 1, "\(label)")
        }
        #expect(pipeline.storedIDs().isEmpty)
    }

    @Test("A body that does not match its token's checksum is read, then refused with 401; nothing is stored")
    func checksumMismatch() throws {
        let pipeline = try Pipeline()
        let sample = try #require(Self.samples.first { $0.body.contains(UInt8(ascii: "t")) })
        let tampered = sample.body.map { $0 == UInt8(ascii: "t") ? UInt8(ascii: "T") : $0 }
        let outcome = try Self.handle(Self.post(sample, body: tampered), by: pipeline.ingestors[0], at: sample.iat)
        guard case .answered(let response) = outcome else {
            Issue.record("the checksum was not checked on the whole request: \(outcome)")
            return
        }
        #expect(response.status == 401)
        #expect(Self.text(of: response).contains("does not match the body"))
        #expect(try Self.rejections(pipeline.metrics[0], "checksum_mismatch") == 1)
        #expect(pipeline.storedIDs().isEmpty)
    }

    @Test("Content codings: gzip is inflated before the checksum; an unknown coding is 415 from the head, a corrupt body 400, one inflating past the body limit 413")
    func contentCodings() throws {
        let sample = try #require(Self.samples.first)
        let pipeline = try Pipeline(maxBodyBytes: sample.body.count)
        let ingestor = pipeline.ingestors[0]

        let inflated = try Self.handle(Self.post(sample, body: try gzipped(sample.body), headers: ["Content-Encoding: gzip"]), by: ingestor, at: sample.iat)
        guard case .awaiting(let ticket) = inflated else {
            Issue.record("a gzip body that inflates to the signed bytes was not stored: \(inflated)")
            return
        }
        #expect(Self.resolved(ticket, by: ingestor)?.status == 200)
        #expect(pipeline.storedIDs().count == 1)

        let unknown = try Self.handle(Self.post(sample, body: try gzipped(sample.body), headers: ["Content-Encoding: br"]), by: ingestor, at: sample.iat)
        guard case .refused(let refusal) = unknown else {
            Issue.record("an unknown coding was not refused from the head: \(unknown)")
            return
        }
        #expect(refusal.status == 415)

        // A gzip header, then a deflate block of the reserved type 3.
        let corrupt: [UInt8] = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0x07] + Array(repeating: 0, count: 20)
        #expect(try Self.handle(Self.post(sample, body: corrupt, headers: ["Content-Encoding: gzip"]), by: ingestor, at: sample.iat).answer?.status == 400)

        // One byte more than the limit once inflated: refused before its checksum is looked at.
        let larger = try gzipped(sample.body + [UInt8(ascii: " ")])
        let tooLarge = try Self.handle(Self.post(sample, body: larger, headers: ["Content-Encoding: gzip"]), by: ingestor, at: sample.iat)
        guard case .answered(let response) = tooLarge else {
            Issue.record("a body inflating past the limit was not answered: \(tooLarge)")
            return
        }
        #expect(response.status == 413 && response.closesConnection)
        #expect(pipeline.storedIDs().count == 1)
    }

    @Test("While draining, events are refused from the head with 503 and Retry-After, and /readyz answers 503")
    func draining() throws {
        let pipeline = try Pipeline()
        let sample = try #require(Self.samples.first)
        pipeline.status.drain.begin()
        guard case .refused(let response) = try Self.handle(Self.post(sample), by: pipeline.ingestors[0], at: sample.iat) else {
            Issue.record("an event that began after the drain was not refused from its head")
            return
        }
        #expect(response.status == 503 && response.retryAfterSeconds != nil)
        #expect(try Self.handle(Self.request("GET", "/readyz"), by: pipeline.ingestors[0], at: sample.iat).answer?.status == 503)
        #expect(try Self.handle(Self.request("GET", "/healthz"), by: pipeline.ingestors[0], at: sample.iat).answer?.status == 200)
        #expect(pipeline.storedIDs().isEmpty)
    }

    @Test("A redelivery is answered 200 without being stored again: after the first copy's sync while it is pending, at once once it is durable")
    func redelivery() throws {
        let pipeline = try Pipeline()
        let ingestor = pipeline.ingestors[0]
        let sample = try #require(Self.samples.first)
        pipeline.io.closeGate()
        guard case .awaiting(let first) = try Self.handle(Self.post(sample), by: ingestor, at: sample.iat) else {
            Issue.record("the first copy was not stored")
            return
        }
        #expect(waitUntil { pipeline.isSyncHeld })
        #expect(ingestor.resolve(first) == nil, "answered while its sync is held")
        // The second copy waits on the first copy's record.
        guard case .awaiting(let second) = try Self.handle(Self.post(sample), by: ingestor, at: sample.iat + 1) else {
            Issue.record("a copy of a pending event was answered before the first copy was durable")
            return
        }
        #expect(second == first)
        #expect(pipeline.metrics[0].duplicates == 1)
        pipeline.io.openGate()
        #expect(Self.resolved(first, by: ingestor)?.status == 200)
        // Once the first copy is durable, a copy is answered at once.
        #expect(try Self.handle(Self.post(sample), by: ingestor, at: sample.iat + 2).answer?.status == 200)
        #expect(pipeline.metrics[0].duplicates == 2)
        #expect(pipeline.metrics[0].accepted == 1)
        #expect(pipeline.storedIDs().count == 1)
    }

    @Test("A batch whose sync fails is answered 503; then events are refused from the head and /readyz answers 503")
    func failedSync() throws {
        let pipeline = try Pipeline()
        let ingestor = pipeline.ingestors[0]
        let first = try #require(Self.samples.first)
        let second = try #require(Self.samples.last)
        pipeline.io.failSyncs()
        guard case .awaiting(let ticket) = try Self.handle(Self.post(first), by: ingestor, at: first.iat) else {
            Issue.record("the event did not reach the journal")
            return
        }
        let answer = try #require(Self.resolved(ticket, by: ingestor))
        #expect(answer.status == 503 && answer.retryAfterSeconds != nil)
        guard case .refused(let refusal) = try Self.handle(Self.post(second), by: ingestor, at: second.iat) else {
            Issue.record("an event was taken by a journal that cannot store")
            return
        }
        #expect(refusal.status == 503 && refusal.retryAfterSeconds != nil)
        #expect(try Self.handle(Self.request("GET", "/readyz"), by: ingestor, at: second.iat).answer?.status == 503)
    }

    @Test("A worker waiting on another worker's record is woken by its batch until it abandons the wait")
    func crossWorkerWait() throws {
        let pipeline = try Pipeline(workers: 2)
        let (owner, waiter) = (pipeline.ingestors[0], pipeline.ingestors[1])
        let samples = Self.samples.prefix(2)
        try #require(samples.count == 2)
        for (index, sample) in samples.enumerated() {
            let abandons = index == 1
            pipeline.io.closeGate()
            guard case .awaiting(let ticket) = try Self.handle(Self.post(sample), by: owner, at: sample.iat) else {
                Issue.record("the event was not stored")
                return
            }
            #expect(waitUntil { pipeline.isSyncHeld })
            guard case .awaiting(let waited) = try Self.handle(Self.post(sample), by: waiter, at: sample.iat) else {
                Issue.record("the copy on the other worker did not wait for the first")
                return
            }
            #expect(waited == ticket)
            if abandons { waiter.abandon(waited) }
            pipeline.wake.forEach { $0.drain() }
            pipeline.io.openGate()
            #expect(Self.resolved(ticket, by: owner)?.status == 200)
            #expect(waitUntil { Self.isRung(pipeline.wake[0]) })
            if abandons {
                #expect(!Self.isRung(pipeline.wake[1]), "a worker that abandoned its wait is still woken")
            } else {
                #expect(waitUntil { Self.isRung(pipeline.wake[1]) })
                #expect(Self.resolved(waited, by: waiter)?.status == 200)
            }
        }
        #expect(pipeline.storedIDs().count == 2)
    }
}
