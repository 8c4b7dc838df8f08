/// One worker's request pipeline: route, verify, read the envelope, hand the event on, answer.
///
/// Routes: `POST <event path>` ingests; `GET|HEAD /healthz` and `/readyz` report health;
/// other paths 404, other methods 405. Signature problems are answered 401 with their reason.
public final class EventIngestor: RequestHandler {
    private let verifier: SignatureVerifier
    private let eventPath: [UInt8]
    private let status: ServiceStatus
    private let sink: EventSink

    /// - Parameters:
    ///   - verifier: this worker's verifier.
    ///   - eventPath: the path DT posts to, e.g. "/".
    ///   - status: shared readiness state.
    ///   - sink: where accepted events go.
    public init(verifier: SignatureVerifier, eventPath: String, status: ServiceStatus, sink: EventSink) {
        self.verifier = verifier
        self.eventPath = Array(eventPath.utf8)
        self.status = status
        self.sink = sink
    }

    private enum Route { case events, health, readiness, unknown }

    private func route(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) -> Route {
        let path = UnsafeRawBufferPointer(rebasing: buffer[head.path])
        // An absolute-form target without a path means "/".
        if path.elementsEqual(eventPath) || (path.isEmpty && eventPath == [UInt8(ascii: "/")]) { return .events }
        if path.elementsEqual("/healthz".utf8) { return .health }
        if path.elementsEqual("/readyz".utf8) { return .readiness }
        return .unknown
    }

    public func headReceived(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) -> HTTPResponse? {
        if let refusal = refusal(for: head, in: buffer) { return refusal }
        // A request that began before a shutdown is finished; one that begins after is sent elsewhere.
        if status.isDraining {
            return HTTPResponse(status: 503, body: .constant("shutting down; retry shortly\n"), retryAfterSeconds: 1)
        }
        return nil
    }

    /// The answer for a request that can be refused from its head alone, or nil.
    private func refusal(for head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) -> HTTPResponse? {
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
            if let encoding = head.contentEncoding, !UnsafeRawBufferPointer(rebasing: buffer[encoding]).elementsEqual("identity".utf8) {
                return HTTPResponse(status: 415, body: .constant("Content-Encoding is not supported; send the body as is\n"))
            }
            return nil
        case .health, .readiness:
            guard head.method == .get || head.method == .head else {
                return HTTPResponse(status: 405, body: .constant("use GET\n"), allow: "GET, HEAD")
            }
            return nil
        case .unknown:
            return .notFound
        }
    }

    public func respond(to head: HTTPRequestHead, body: UnsafeRawBufferPointer, in buffer: UnsafeRawBufferPointer, now: Int64) -> HTTPResponse {
        if let refusal = refusal(for: head, in: buffer) { return refusal }
        switch route(head, in: buffer) {
        case .health:
            return .ok
        case .readiness:
            return status.isReady ? .ok : HTTPResponse(status: 503, body: .constant("not ready\n"), retryAfterSeconds: 1)
        case .unknown:
            return .notFound
        case .events:
            break
        }
        guard let value = head.firstValue(of: "X-Dt-Signature", in: buffer) else { return unauthorized(.missingSignature) }
        switch verifier.verify(.single(UnsafeRawBufferPointer(rebasing: buffer[value])), body: body, now: now) {
        case .rejected(let reason):
            return unauthorized(reason)
        case .verified:
            let envelope = EventEnvelope.read(body)
            let eventID = envelope?.eventID.map { UnsafeRawBufferPointer(rebasing: body[$0]) }
            sink.accept(body: body, eventID: eventID, receivedAt: now)
            return .ok
        }
    }

    private func unauthorized(_ reason: SignatureRejection) -> HTTPResponse {
        HTTPResponse(status: 401, body: .text(reason.description + "\n"))
    }
}
