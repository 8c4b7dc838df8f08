internal import FastReceiverCrypto
public import FastReceiverHTTP
public import FastReceiverStorage
public import FastReceiverTransport
public import FastReceiverVerification
public import Logging

/// One worker's request pipeline: route, verify, read the envelope, dedupe, journal, answer.
///
/// Routes: `POST <event path>` ingests; `GET|HEAD /healthz`, `/readyz` and `/metrics` report
/// health; other paths 404, other methods 405. The token is verified as soon as the head has
/// arrived, so a request that is not DT's is answered 401 before its body is read; only the
/// body's checksum waits for the body. A verified event is answered 200 only once its journal
/// record is durable; a redelivered event (same `eventId`) is answered 200 without being stored
/// again, once its first copy is. An OpenSSL failure is answered 500: the fault is ours.
public final class EventIngestor: RequestHandler {
    /// What a deferred answer waits on: its journal record becoming durable.
    public typealias Ticket = DurabilityTicket

    /// What the head decided for a request that is read on: a few bytes, kept by the connection.
    public enum RequestContext: Sendable {
        /// An event whose token verified: the checksum its body must match, and the content
        /// coding to undo before checking it.
        case event(ExpectedChecksum, ContentDecoder.Coding)
        case health
        case readiness
        case metrics
    }

    private let worker: Int
    private var verifier: SignatureVerifier
    private let secrets: SecretStore?
    private var secretsGeneration: Int
    private let eventPath: [UInt8]
    private let status: ServiceStatus
    private let journal: Journal
    private let workerJournal: WorkerJournal
    private let decoder: ContentDecoder
    private let metrics: IngestMetrics
    private let registry: MetricsRegistry?
    private let logger: Logger
    /// Where an `eventId` with escapes is decoded, once per request: allocated once per worker.
    private let eventIDScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: EventEnvelope.maxEventIDBytes, alignment: 1)

    /// - Parameters:
    ///   - worker: this worker's index (its journal).
    ///   - verifier: this worker's verifier.
    ///   - eventPath: the path DT posts to, e.g. "/".
    ///   - maxBodyBytes: the cap on a body after content decoding.
    ///   - status: whether the server is draining, and whether storage takes events.
    ///   - journal: where events are deduplicated and stored.
    ///   - metrics: this worker's ingest counters.
    ///   - registry: what `GET /metrics` renders; nil answers 404 there.
    ///   - secrets: when given, the verifier is rebuilt (same clock skew) whenever these are replaced.
    ///   - logger: where a failure to take up replaced secrets is reported.
    public init(worker: Int, verifier: SignatureVerifier, eventPath: String, maxBodyBytes: Int, status: ServiceStatus, journal: Journal,
                metrics: IngestMetrics = IngestMetrics(), registry: MetricsRegistry? = nil, secrets: SecretStore? = nil,
                logger: Logger = Logger(label: "fast-receiver")) {
        // Every identity the envelope reads is stored with the record it dedupes.
        precondition(EventEnvelope.maxEventIDBytes <= JournalRecord.maxEventIDBytes, "the journal stores every event identity")
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
        self.logger = logger
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

    /// Everything the head alone decides: the route and method, the token (every rule but the
    /// body's checksum), a known content coding, and whether storage can take an event at all.
    public func headReceived(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer, nowMilliseconds: Int64) -> HeadDecision<RequestContext> {
        switch route(head, in: buffer) {
        case .events:
            guard head.method == .post else {
                return .refuse(HTTPResponse(status: 405, body: .constant("events are POSTed\n"), allow: "POST"))
            }
            refreshSecrets()
            let checksum: ExpectedChecksum
            switch verifier.authenticate(Self.signature(of: head, in: buffer), now: nowMilliseconds / 1000) {
            case .authenticated(let expected): checksum = expected
            case .rejected(let reason): return .refuse(unauthorized(reason))
            case .failed(let error): return .refuse(verificationFailed(error))
            }
            var coding = ContentDecoder.Coding.identity
            if let encoding = head.contentEncoding {
                guard let named = ContentDecoder.coding(of: UnsafeRawBufferPointer(rebasing: buffer[encoding])) else {
                    return .refuse(HTTPResponse(status: 415, body: .constant("Content-Encoding must be gzip, deflate or identity\n")))
                }
                coding = named
            }
            // An event that began before a shutdown is finished; one that begins after is sent elsewhere.
            if status.isDraining { return .refuse(Self.draining) }
            if !workerJournal.isAvailable { return .refuse(Self.storageUnavailable) }
            if status.storage.isFull { return .refuse(Self.storageFull) }
            return .accept(.event(checksum, coding))
        case .health: return readOnly(head, .health)
        case .readiness: return readOnly(head, .readiness)
        case .metrics: return readOnly(head, .metrics)
        case .unknown: return .refuse(.notFound)
        }
    }

    /// `context` for GET and HEAD; 405 for any other method.
    private func readOnly(_ head: HTTPRequestHead, _ context: RequestContext) -> HeadDecision<RequestContext> {
        guard head.method == .get || head.method == .head else {
            return .refuse(HTTPResponse(status: 405, body: .constant("use GET\n"), allow: "GET, HEAD"))
        }
        return .accept(context)
    }

    public func respond(to head: HTTPRequestHead, context: RequestContext, body rawBody: UnsafeRawBufferPointer, in buffer: UnsafeRawBufferPointer,
                        nowMilliseconds: Int64) -> RequestOutcome<DurabilityTicket> {
        switch context {
        case .health:
            return .respond(.ok)
        case .readiness:
            return .respond(status.isReady ? .ok : HTTPResponse(status: 503, body: .constant("not ready\n"), retryAfterSeconds: 1))
        case .metrics:
            var response = HTTPResponse(status: 200, body: .text(registry?.render() ?? ""))
            response.contentType = MetricsRegistry.contentType
            return .respond(response)
        case .event(let checksum, let coding):
            var body = rawBody
            if coding != .identity {
                switch decoder.decode(rawBody, coding: coding) {
                case .success(let decoded): body = decoded
                case .failure(.tooLarge(let limit)):
                    return .respond(HTTPResponse(status: 413, body: .text("the body inflates past \(limit) bytes\n"), closesConnection: true))
                case .failure:
                    return .respond(HTTPResponse(status: 400, body: .constant("the body is not valid for its Content-Encoding\n")))
                }
            }
            switch verifier.verify(body, against: checksum) {
            case .verified: return store(body, receivedAtMilliseconds: nowMilliseconds)
            case .rejected(let reason): return .respond(unauthorized(reason))
            case .failed(let error): return .respond(verificationFailed(error))
            }
        }
    }

    /// The request's `X-Dt-Signature` fields (any case), found in one pass.
    private static func signature(of head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) -> SignatureHeader {
        var value: Range<Int>?
        for field in head.fields where buffer.equalsIgnoringCase(field.name, "X-Dt-Signature") {
            guard value == nil else { return .repeated }
            value = field.value
        }
        return value.map { .single(UnsafeRawBufferPointer(rebasing: buffer[$0])) } ?? .missing
    }

    /// Picks up replaced secrets (SIGHUP) by rebuilding this worker's verifier. When OpenSSL
    /// cannot build it, the previous secrets stay in use until the next replacement, and the
    /// failure is logged and counted rather than passed over.
    private func refreshSecrets() {
        guard let secrets, secrets.generation != secretsGeneration else { return }
        secretsGeneration = secrets.generation
        do {
            verifier = try SignatureVerifier(secrets: secrets.current, clockSkew: verifier.clockSkew)
        } catch {
            metrics.countSecretReloadFailure()
            logger.error("reloaded secrets not taken up; this worker keeps verifying with the previous ones",
                         metadata: ["worker": "\(worker)", "error": "\(error)"])
        }
    }

    /// Dedupes and journals a verified event.
    private func store(_ body: UnsafeRawBufferPointer, receivedAtMilliseconds: Int64) -> RequestOutcome<DurabilityTicket> {
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

    /// A 500 for an OpenSSL failure, counted. OpenSSL's own reasons go to the log only: the
    /// sender did nothing wrong, and DT retries any answer but a 2xx.
    private func verificationFailed(_ error: CryptoError) -> HTTPResponse {
        metrics.countCryptoFailure()
        return HTTPResponse(status: 500, body: .constant("the request could not be verified because of an internal error; retry later\n"),
                            logDetail: error.description)
    }

    private static let draining = HTTPResponse(status: 503, body: .constant("shutting down; retry shortly\n"), retryAfterSeconds: 1)
    private static let storageUnavailable = HTTPResponse(status: 503, body: .constant("storage is unavailable; retry later\n"), retryAfterSeconds: 30)
    private static let storageFull = HTTPResponse(status: 503, body: .constant("the journal is full; retry later\n"), retryAfterSeconds: 30)
    private static let storageBusy = HTTPResponse(status: 503, body: .constant("storage is busy; retry shortly\n"), retryAfterSeconds: 1)
}
