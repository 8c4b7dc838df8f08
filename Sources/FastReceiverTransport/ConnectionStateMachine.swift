public import FastReceiverHTTP
public import FastReceiverSystem

/// Where one connection is in its life, and what its worker must do next: a value type whose
/// transitions return actions and never do I/O.
///
/// The worker tells it what happened (bytes read, a head parsed, an answer queued, storage
/// resolved, the peer half-closed, a deadline checked, output sent) and carries out what it
/// answers (read, write, pause reading, close, linger, await storage) with its system calls. The
/// machine owns the request parser, which reads and compacts the buffers the worker hands it, so
/// "start the next request" happens in one place. Epoll interest follows from the state: the
/// worker asks ``interestChange()`` after each turn and registers what it returns.
///
/// Generic over the handler's per-request context and ticket, which it holds from the head to the
/// answer without boxing. Holds nothing that allocates per request.
@usableFromInline
struct ConnectionStateMachine<Context, Ticket> {
    /// The deadlines and the pipelining cap, fixed for the server's life.
    @usableFromInline
    struct Limits {
        /// Milliseconds from a request's first byte (or from accepting, while a handshake runs) to
        /// the end of its head.
        @usableFromInline var headerTimeoutMilliseconds: Int
        /// Milliseconds from the end of the head to the end of the body.
        @usableFromInline var bodyTimeoutMilliseconds: Int
        /// Milliseconds a connection may sit idle between requests.
        @usableFromInline var idleTimeoutMilliseconds: Int
        /// Milliseconds a closing connection drains unread input after its last answer. Default 2 000.
        @usableFromInline var lingerMilliseconds = 2_000
        /// Answers queued before they must be sent and reading resumes.
        @usableFromInline var maxPipelinedRequests: Int

        init(settings: ServerSettings) {
            headerTimeoutMilliseconds = settings.headerTimeoutMilliseconds
            bodyTimeoutMilliseconds = settings.bodyTimeoutMilliseconds
            idleTimeoutMilliseconds = settings.idleTimeoutMilliseconds
            maxPipelinedRequests = settings.maxPipelinedRequests
        }
    }

    /// The connection's life. Times are monotonic milliseconds; `until` is a deadline.
    @usableFromInline
    enum State {
        /// The transport's handshake runs; it counts against the first request's header deadline.
        case handshaking(until: Int)
        /// Between requests, with no request bytes buffered, since `since`.
        case idle(since: Int)
        /// A request has begun; its head must be complete by `until`.
        case head(until: Int)
        /// The head is in and accepted with `Context`; the body must be complete by `until`.
        case body(until: Int, Context)
        /// The request is complete and its answer waits on storage.
        case awaitingStorage(Ticket, WaitingInput)
        /// The last answer is queued: close once it is sent, or at `until` if it cannot be.
        /// `peerClosed`: the client has half-closed, so there is nothing to linger for.
        case closing(until: Int, peerClosed: Bool)
        /// The last answer is sent and the sending side shut; unread input is drained until
        /// `until`, so the client reads the answer instead of a reset.
        case lingering(until: Int)
        /// The socket is closed.
        case closed
    }

    /// What happens to input while an answer waits on storage.
    @usableFromInline
    enum WaitingInput: Equatable {
        /// Pipelined bytes are still read into the buffer.
        case reading
        /// The buffer is full: reading pauses until the answer goes out.
        case full
        /// The client has half-closed: answer, then close.
        case peerClosed
    }

    /// What to do with bytes just read.
    @usableFromInline
    enum ReadAction: Equatable {
        /// Keep them and parse.
        case parse
        /// Drop them: the connection is lingering.
        case discard
    }

    /// What to do when the input buffer is full before a read.
    @usableFromInline
    enum FullInputAction: Equatable {
        /// Drop finished requests or move to a large buffer, then read.
        case makeRoom
        /// Stop reading until the waiting answer goes out.
        case pauseReading
    }

    /// Whether the worker may parse another request from the buffer now.
    @usableFromInline
    enum ParseGate: Equatable {
        case parse
        /// The pipelining cap or the output space is reached: send the answers first, then go on.
        case pipelineFull
        /// No more requests now: the connection is closing, lingering, or awaiting storage.
        case stop
    }

    /// What to do once a head has been parsed and decided.
    @usableFromInline
    enum HeadAction {
        /// Answer this refusal now. `closes`: the request has a body, which nobody will read, so
        /// it is not waited for and the connection closes. Without a body the request is
        /// complete, and the connection goes on.
        case refuse(HTTPResponse, closes: Bool)
        /// Read the body (the worker makes room for it first); send `100 Continue` if asked.
        case readBody(sendContinue: Bool)
        /// There is no body: parse on, and the request completes.
        case parse
    }

    /// What an answer just queued leads to.
    @usableFromInline
    enum AnswerAction: Equatable {
        /// The next request has begun (from bytes already buffered, or when they arrive).
        case nextRequest
        /// The connection closes once the output is sent.
        case closeAfterFlush
    }

    /// What to do after output was sent.
    @usableFromInline
    enum FlushAction: Equatable {
        /// Nothing: more output waits for readiness, or the connection goes on.
        case none
        /// The last answer is out and the peer has finished: close.
        case close
        /// The last answer is out: shut the sending side and drain input until the deadline.
        case linger
    }

    /// What a deadline check found.
    @usableFromInline
    enum DeadlineAction: Equatable {
        case none
        /// Close without an answer.
        case close
        /// Answer 408 and close.
        case timeOut(Timeout)
    }

    /// Which request deadline passed.
    @usableFromInline
    enum Timeout: Equatable {
        case header, body

        /// The 408's body.
        @inlinable
        var message: StaticString {
            switch self {
            case .header: "request headers did not arrive in time\n"
            case .body: "request body did not arrive in time\n"
            }
        }
    }

    /// What the handshake's progress leads to.
    @usableFromInline
    enum HandshakeAction: Equatable {
        /// Read at once: the first request may already wait inside the transport.
        case read
        /// Wait for the readiness the transport asked for.
        case wait
        case close
    }

    @usableFromInline let limits: Limits
    @usableFromInline var state: State
    /// Frames the requests in the connection's input buffer.
    @usableFromInline var parser: HTTPRequestParser
    /// When the current request's first byte arrived (monotonic microseconds), for latency.
    @usableFromInline var requestStartedAt = 0
    /// Answers queued since output was last sent, for the pipelining cap.
    @usableFromInline var answeredSinceFlush = 0
    /// What unsent output waits for; nil when there is none waiting. Reading stops meanwhile.
    @usableFromInline var writeWaitsFor: TransportReadiness?
    /// What the next read (or handshake step) waits for.
    @usableFromInline var readWaitsFor = TransportReadiness.readable
    /// The interest last handed to epoll.
    @usableFromInline var registeredInterest: EpollEvents = []

    init(limits: Limits, httpLimits: HTTPLimits) {
        self.limits = limits
        state = .closed
        parser = HTTPRequestParser(limits: httpLimits)
    }

    // MARK: opening and closing

    /// Starts a freshly accepted connection: the one place a connection's state is reset.
    /// - Parameters:
    ///   - handshake: whether the transport must finish a handshake before the first request.
    ///   - now: monotonic milliseconds.
    ///   - nowMicroseconds: monotonic microseconds.
    @inlinable
    mutating func open(handshake: Bool, now: Int, nowMicroseconds: Int) {
        state = handshake ? .handshaking(until: now + limits.headerTimeoutMilliseconds) : .idle(since: now)
        parser.reset()
        requestStartedAt = nowMicroseconds
        answeredSinceFlush = 0
        writeWaitsFor = nil
        readWaitsFor = .readable
        registeredInterest = interest
    }

    /// The socket was closed (by either side, a failure, or a deadline).
    /// - Returns: the ticket an answer was waiting on, which the handler must abandon.
    @inlinable
    mutating func close() -> Ticket? {
        let ticket = self.ticket
        state = .closed
        return ticket
    }

    @inlinable
    var isOpen: Bool {
        if case .closed = state { return false }
        return true
    }

    /// Whether the connection is between requests with none begun.
    @inlinable
    var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    /// The ticket the current answer waits on, if it waits.
    @inlinable
    var ticket: Ticket? {
        if case .awaitingStorage(let ticket, _) = state { return ticket }
        return nil
    }

    // MARK: epoll interest

    /// What the socket should be watched for now.
    ///
    /// Blocked output is waited for alone: reading stops until it is sent, so a client that does
    /// not read its answers cannot make the server buffer more of its requests.
    @inlinable
    var interest: EpollEvents {
        if let waitsFor = writeWaitsFor { return waitsFor.epollEvents }
        return isReading ? readWaitsFor.epollEvents : []
    }

    /// The interest to register when it differs from what epoll has, which it then records.
    @inlinable
    mutating func interestChange() -> EpollEvents? {
        let wanted = interest
        guard wanted != registeredInterest, isOpen else { return nil }
        registeredInterest = wanted
        return wanted
    }

    /// Whether the connection reads input now.
    @inlinable
    var isReading: Bool {
        guard writeWaitsFor == nil else { return false }
        switch state {
        case .awaitingStorage(_, let input): return input == .reading
        case .closed: return false
        default: return true
        }
    }

    // MARK: transitions

    /// The handshake moved on.
    @inlinable
    mutating func handshakeProgressed(_ result: TransportHandshakeResult) -> HandshakeAction {
        guard case .handshaking(let until) = state else { return .read }
        switch result {
        case .done:
            // The first request's header deadline has been running since the connection opened.
            state = .head(until: until)
            readWaitsFor = .readable
            return .read
        case .wouldBlock(let readiness):
            readWaitsFor = readiness
            return .wait
        case .failed:
            return .close
        }
    }

    /// Bytes were read from the transport.
    @inlinable
    mutating func bytesRead(now: Int, nowMicroseconds: Int) -> ReadAction {
        readWaitsFor = .readable
        switch state {
        case .lingering:
            return .discard
        case .idle:
            state = .head(until: now + limits.headerTimeoutMilliseconds)
            requestStartedAt = nowMicroseconds
        default:
            break
        }
        return .parse
    }

    /// A read found nothing; it waits for `readiness`.
    @inlinable
    mutating func readWouldBlock(on readiness: TransportReadiness) {
        readWaitsFor = readiness
    }

    /// The input buffer is full and a read is due.
    @inlinable
    mutating func inputFull() -> FullInputAction {
        guard case .awaitingStorage(let ticket, _) = state else { return .makeRoom }
        // Nothing more can be read until the waiting answer goes out.
        state = .awaitingStorage(ticket, .full)
        return .pauseReading
    }

    /// The peer finished sending.
    /// - Returns: true when the connection should close now; false when it stays open to send
    ///   the answer it is waiting for, and then closes.
    @inlinable
    mutating func peerHalfClosed() -> Bool {
        guard case .awaitingStorage(let ticket, _) = state else { return true }
        state = .awaitingStorage(ticket, .peerClosed)
        return false
    }

    /// Whether another request may be parsed from the buffer now.
    /// - Parameter hasOutputRoom: whether the output has room for another answer.
    @inlinable
    func parseGate(hasOutputRoom: Bool) -> ParseGate {
        switch state {
        case .idle, .head, .body:
            return answeredSinceFlush >= limits.maxPipelinedRequests || !hasOutputRoom ? .pipelineFull : .parse
        case .handshaking, .awaitingStorage, .closing, .lingering, .closed:
            return .stop
        }
    }

    /// The parser returned a complete head, and the handler decided on it.
    /// - Parameters:
    ///   - decision: what the handler decided.
    ///   - buffer: the input the head was parsed from; a refused request without a body is
    ///     parsed to its end here, so that it can be answered at once.
    ///   - count: bytes of input held, to tell whether the body has arrived already.
    ///   - now: monotonic milliseconds; the body deadline runs from here.
    @inlinable
    mutating func headParsed(_ decision: HeadDecision<Context>, buffer: UnsafeMutableRawBufferPointer, count: Int, now: Int) -> HeadAction {
        let hasBody = parser.head.isChunked || (parser.head.contentLength ?? 0) > 0
        switch decision {
        case .refuse(let refusal):
            if !hasBody {
                let event = parser.parse(buffer, count: count)
                precondition(event == .complete, "a request without a body is complete with its head")
            }
            return .refuse(refusal, closes: hasBody)
        case .accept(let context):
            state = .body(until: now + limits.bodyTimeoutMilliseconds, context)
            guard hasBody else { return .parse }
            let bodyArrived = parser.requiredCapacity.map { count >= $0 } ?? false
            return .readBody(sendContinue: parser.head.expectsContinue && !bodyArrived)
        }
    }

    /// The parser returned a complete request.
    /// - Returns: the context its head was accepted with.
    @inlinable
    func requestComplete() -> Context {
        guard case .body(_, let context) = state else {
            preconditionFailure("a request completed without its head being accepted")
        }
        return context
    }

    /// The handler's answer waits on `ticket`.
    @inlinable
    mutating func awaitStorage(_ ticket: Ticket) {
        state = .awaitingStorage(ticket, .reading)
    }

    /// A final answer was queued in the output: for a complete request, for storage resolved,
    /// or a refusal.
    ///
    /// Unless the connection closes, the next request starts here: the one place it does.
    /// - Parameters:
    ///   - keepAlive: whether the answer lets the connection stay open.
    ///   - count: bytes of input held; those past the request start the next one.
    ///   - now: monotonic milliseconds.
    ///   - nowMicroseconds: monotonic microseconds.
    @inlinable
    mutating func answerQueued(keepAlive: Bool, count: Int, now: Int, nowMicroseconds: Int) -> AnswerAction {
        answeredSinceFlush += 1
        let until: Int
        switch state {
        case .awaitingStorage(_, .peerClosed):
            state = .closing(until: now + limits.idleTimeoutMilliseconds, peerClosed: true)
            return .closeAfterFlush
        case .closing, .lingering, .closed:
            return .closeAfterFlush
        case .head(let deadline), .body(let deadline, _):
            until = deadline
        case .handshaking, .idle, .awaitingStorage:
            until = now + limits.idleTimeoutMilliseconds
        }
        guard keepAlive else {
            // Output that cannot be sent is given as long as the request had.
            state = .closing(until: until, peerClosed: false)
            return .closeAfterFlush
        }
        parser.startNextRequest()
        state = parser.consumedBytes < count ? .head(until: now + limits.headerTimeoutMilliseconds) : .idle(since: now)
        requestStartedAt = nowMicroseconds
        return .nextRequest
    }

    /// Output was sent as far as the transport took it.
    /// - Parameters:
    ///   - blockedOn: what the rest waits for; nil when all of it went out.
    ///   - now: monotonic milliseconds.
    @inlinable
    mutating func outputSent(blockedOn: TransportReadiness?, now: Int) -> FlushAction {
        answeredSinceFlush = 0
        writeWaitsFor = blockedOn
        guard blockedOn == nil, case .closing(_, let peerClosed) = state else { return .none }
        if peerClosed { return .close }
        state = .lingering(until: now + limits.lingerMilliseconds)
        return .linger
    }

    /// Checks the current deadline; called about four times a second.
    /// - Parameters:
    ///   - now: monotonic milliseconds.
    ///   - isDraining: whether the server is shutting down, which closes idle connections.
    @inlinable
    func deadlinePassed(now: Int, isDraining: Bool) -> DeadlineAction {
        switch state {
        case .handshaking(let until), .closing(let until, _):
            return now > until ? .close : .none
        case .lingering(let until):
            return now >= until ? .close : .none
        case .idle(let since):
            let isIdleTooLong = now - since > limits.idleTimeoutMilliseconds
            return isIdleTooLong || (isDraining && writeWaitsFor == nil) ? .close : .none
        case .head(let until):
            return now <= until ? .none : writeWaitsFor != nil ? .close : .timeOut(.header)
        case .body(let until, _):
            return now <= until ? .none : writeWaitsFor != nil ? .close : .timeOut(.body)
        case .awaitingStorage, .closed:
            return .none
        }
    }
}
