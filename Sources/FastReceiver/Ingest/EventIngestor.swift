/// One worker's request pipeline: route, verify, read the envelope, dedupe, journal, answer.
///
/// Routes: `POST <event path>` ingests; `GET|HEAD /healthz` and `/readyz` report health;
/// other paths 404, other methods 405. Signature problems are answered 401 with their reason.
/// A verified event is answered 200 only once its journal record is durable; a redelivered
/// event (same `eventId`) is answered 200 without being stored again, once its first copy is.
public final class EventIngestor: RequestHandler {
    private let worker: Int
    private var verifier: SignatureVerifier
    private let secrets: SecretStore?
    private var secretsGeneration: Int
    private let eventPath: [UInt8]
    private let status: ServiceStatus
    private let journal: Journal
    private let workerJournal: WorkerJournal
    private let decoder: ContentDecoder
    private let metrics: WorkerMetrics
    private let registry: MetricsRegistry?
    /// Where an `eventId` with escapes is decoded, once per request: allocated once per worker.
    private let eventIDScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: JournalRecord.maxEventIDBytes, alignment: 1)

    /// - Parameters:
    ///   - worker: this worker's index (its journal).
    ///   - verifier: this worker's verifier.
    ///   - eventPath: the path DT posts to, e.g. "/".
    ///   - maxBodyBytes: the cap on a body after content decoding.
    ///   - metrics: this worker's counters (the server counts into the same block).
    ///   - registry: what `GET /metrics` renders; nil answers 404 there.
    ///   - secrets: when given, the verifier is rebuilt (same clock skew) whenever these are replaced.
    public init(worker: Int, verifier: SignatureVerifier, eventPath: String, maxBodyBytes: Int, status: ServiceStatus, journal: Journal,
                metrics: WorkerMetrics = WorkerMetrics(), registry: MetricsRegistry? = nil, secrets: SecretStore? = nil) {
        self.worker = worker
        self.verifier = verifier
        self.secrets = secrets
        self.secretsGeneration = secrets?.generation ?? 0
        self.eventPath = Array(eventPath.utf8)
        self.status = status
        self.journal = journal
        self.workerJournal = journal.workers[worker]
        self.decoder = ContentDecoder(limit: maxBodyBytes)
        self.metrics = metrics
        self.registry = registry
    }

    deinit {
        eventIDScratch.deallocate()
    }

    private enum Route { case events, health, readiness, metrics, unknown }

    private func route(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) -> Route {
        let path = UnsafeRawBufferPointer(rebasing: buffer[head.path])
        // An absolute-form target without a path means "/".
        if path.elementsEqual(eventPath) || (path.isEmpty && eventPath == [UInt8(ascii: "/")]) { return .events }
        if path.elementsEqual("/healthz".utf8) { return .health }
        if path.elementsEqual("/readyz".utf8) { return .readiness }
        if path.elementsEqual("/metrics".utf8), registry != nil { return .metrics }
        return .unknown
    }

    /// Everything the head alone decides: the route and method, exactly one signature, a
    /// known content coding, and whether storage can take an event at all.
    public func headReceived(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) -> HTTPResponse? {
        switch route(head, in: buffer) {
        case .events:
            guard head.method == .post else {
                return HTTPResponse(status: 405, body: .constant("events are POSTed\n"), allow: "POST")
            }
            // Refuse unsigned requests before reading a body nobody will store.
            switch head.count(of: "X-Dt-Signature", in: buffer) {
            case 0: return unauthorized(.missingSignature)
            case 1: break
            default: return unauthorized(.repeatedSignature)
            }
            if let encoding = head.contentEncoding, ContentDecoder.coding(of: UnsafeRawBufferPointer(rebasing: buffer[encoding])) == nil {
                return HTTPResponse(status: 415, body: .constant("Content-Encoding must be gzip, deflate or identity\n"))
            }
            // An event that began before a shutdown is finished; one that begins after is sent elsewhere.
            if status.isDraining { return Self.draining }
            if !workerJournal.isAvailable { return Self.storageUnavailable }
            return nil
        case .health, .readiness, .metrics:
            guard head.method == .get || head.method == .head else {
                return HTTPResponse(status: 405, body: .constant("use GET\n"), allow: "GET, HEAD")
            }
            return nil
        case .unknown:
            return .notFound
        }
    }

    public func respond(to head: HTTPRequestHead, body rawBody: UnsafeRawBufferPointer, in buffer: UnsafeRawBufferPointer, nowMilliseconds: Int64) -> RequestOutcome {
        switch route(head, in: buffer) {
        case .health:
            return .respond(.ok)
        case .readiness:
            return .respond(status.isReady ? .ok : HTTPResponse(status: 503, body: .constant("not ready\n"), retryAfterSeconds: 1))
        case .metrics:
            var response = HTTPResponse(status: 200, body: .text(registry?.render() ?? ""))
            response.contentType = MetricsRegistry.contentType
            return .respond(response)
        case .unknown:
            return .respond(.notFound)
        case .events:
            break
        }
        var body = rawBody
        if let encoding = head.contentEncoding {
            switch decoder.decode(rawBody, coding: ContentDecoder.coding(of: UnsafeRawBufferPointer(rebasing: buffer[encoding])) ?? .identity) {
            case .success(let decoded): body = decoded
            case .failure(.tooLarge(let limit)):
                return .respond(HTTPResponse(status: 413, body: .text("the body inflates past \(limit) bytes\n"), closesConnection: true))
            case .failure:
                return .respond(HTTPResponse(status: 400, body: .constant("the body is not valid for its Content-Encoding\n")))
            }
        }
        // `headReceived` made sure there is exactly one.
        guard let value = head.firstValue(of: "X-Dt-Signature", in: buffer) else { return .respond(unauthorized(.missingSignature)) }
        let now = nowMilliseconds / 1000
        refreshSecrets()
        if case .rejected(let reason) = verifier.verify(.single(UnsafeRawBufferPointer(rebasing: buffer[value])), body: body, now: now) {
            return .respond(unauthorized(reason))
        }
        return store(body, receivedAtMilliseconds: nowMilliseconds)
    }

    /// Picks up replaced secrets (SIGHUP) by rebuilding this worker's verifier.
    private func refreshSecrets() {
        guard let secrets, secrets.generation != secretsGeneration else { return }
        secretsGeneration = secrets.generation
        if let rebuilt = try? SignatureVerifier(secrets: secrets.current, clockSkew: verifier.clockSkew) {
            verifier = rebuilt
        }
    }

    /// Dedupes and journals a verified event.
    private func store(_ body: UnsafeRawBufferPointer, receivedAtMilliseconds: Int64) -> RequestOutcome {
        let eventID = EventEnvelope.eventID(of: body, decodingInto: eventIDScratch)
        let key = eventID.map(EventKey.init)
        let ticket = workerJournal.upcomingTicket
        if let key {
            switch journal.dedupe.claim(key, ticket: ticket, now: receivedAtMilliseconds / 1000) {
            case .new:
                break
            case .duplicate(let first):
                switch journal.state(of: first) {
                case .durable:
                metrics.countDuplicate()
                return .respond(.ok)
                case .failed: return .respond(Self.storageUnavailable)
                case .pending:
                    metrics.countDuplicate()
                    if first.worker != worker { journal.noteCrossWorkerWait(1) }
                    return .await(first)
                }
            }
        }
        switch workerJournal.append(receivedAtMilliseconds: receivedAtMilliseconds, eventID: eventID ?? UnsafeRawBufferPointer(start: nil, count: 0),
                                    body: body, key: key) {
        case .success(let appended):
            metrics.countAccepted()
            return .await(appended)
        case .failure(let failure):
            if let key { journal.dedupe.release(key, ticket: ticket) }
            return .respond(failure == .busy ? Self.storageBusy : Self.storageUnavailable)
        }
    }

    public func resolve(_ ticket: DurabilityTicket) -> HTTPResponse? {
        let state = journal.state(of: ticket)
        if state != .pending, ticket.worker != worker { journal.noteCrossWorkerWait(-1) }
        switch state {
        case .pending: return nil
        case .durable: return .ok
        case .failed: return Self.storageUnavailable
        }
    }

    public func abandon(_ ticket: DurabilityTicket) {
        if ticket.worker != worker { journal.noteCrossWorkerWait(-1) }
    }

    /// A 401 for `reason`, counted: once per refused request, since a request refused at its
    /// head never reaches `respond`.
    private func unauthorized(_ reason: SignatureRejection) -> HTTPResponse {
        metrics.countRejection(reason)
        return HTTPResponse(status: 401, body: .text(reason.description + "\n"))
    }

    private static let draining = HTTPResponse(status: 503, body: .constant("shutting down; retry shortly\n"), retryAfterSeconds: 1)
    private static let storageUnavailable = HTTPResponse(status: 503, body: .constant("storage is unavailable; retry later\n"), retryAfterSeconds: 30)
    private static let storageBusy = HTTPResponse(status: 503, body: .constant("storage is busy; retry shortly\n"), retryAfterSeconds: 1)
}
