public import FastReceiverHTTP
public import FastReceiverMetrics
public import FastReceiverSystem
public import Glibc
internal import Logging

/// One worker thread: its own `SO_REUSEPORT` listener, its own epoll loop, its own connections
/// and buffers. Nothing here is shared with other workers except the connection budget and the
/// drain state, both atomics.
@usableFromInline
final class Worker<Handler: RequestHandler>: @unchecked Sendable {
    // @unchecked Sendable: a worker is created on the main thread and then used only by its
    // own thread; the main thread touches only `wake()`, which writes to an eventfd.
    //
    // The loop is @inlinable so that the module that picks the handler specializes it. Its
    // mutable state, like each connection's, belongs to this one thread and is never accessed
    // re-entrantly: `@exclusivity(unchecked)` spares every access the runtime check that code
    // inlined into another module would otherwise pay.

    @usableFromInline typealias ClientConnection = Connection<Handler.RequestContext, Handler.Ticket>

    @inlinable static var listenerToken: UInt64 { .max }
    @inlinable static var wakeToken: UInt64 { .max - 1 }
    /// How long an answered-and-closing connection drains unread input, in milliseconds.
    @inlinable static var lingerMilliseconds: Int { 2_000 }

    @usableFromInline let index: Int
    @usableFromInline let settings: ServerSettings
    /// `settings.smallInputBytes`, read on every request.
    @usableFromInline let smallInputBytes: Int
    @usableFromInline let handler: Handler
    @usableFromInline let budget: ConnectionBudget
    @usableFromInline let drain: DrainState
    @exclusivity(unchecked) @usableFromInline var listener: Int32
    @exclusivity(unchecked) @usableFromInline var isListening = true
    @usableFromInline let epoll: Epoll
    @usableFromInline let wake: WakeSignal
    @usableFromInline let smallPool: BufferPool
    @usableFromInline let largePool: BufferPool
    @exclusivity(unchecked) @usableFromInline var connections: [ClientConnection] = []
    @exclusivity(unchecked) @usableFromInline var freeSlots: [Int] = []
    @exclusivity(unchecked) @usableFromInline var openCount = 0
    @exclusivity(unchecked) @usableFromInline var date = HTTPDate()
    @exclusivity(unchecked) @usableFromInline var nowMilliseconds = 0
    /// Wall-clock Unix time in milliseconds, for the handler and the Date header.
    @exclusivity(unchecked) @usableFromInline var nowWallMilliseconds: Int64 = 0
    /// Connections whose answer waits for storage.
    @exclusivity(unchecked) @usableFromInline var waiting: [Int32] = []
    /// The wake signal fired in this loop turn (a journal batch resolved, or a shutdown began).
    @exclusivity(unchecked) @usableFromInline var storageProgressed = false
    @exclusivity(unchecked) @usableFromInline var drainDeadline: Int?
    @exclusivity(unchecked) @usableFromInline var lastSweep = 0
    @usableFromInline let events: UnsafeMutableBufferPointer<UInt32>
    @usableFromInline let tokens: UnsafeMutableBufferPointer<UInt64>
    @inlinable static var eventCapacity: Int { 64 }

    @usableFromInline let metrics: WorkerMetrics
    @exclusivity(unchecked) @usableFromInline var nowMicroseconds = 0
    @exclusivity(unchecked) @usableFromInline var refusals: RefusalLog

    /// - Parameter logger: where refused requests are logged (rate-limited).
    init(index: Int, listener: Int32, wake: WakeSignal, metrics: WorkerMetrics, settings: ServerSettings, logger: Logger,
         handler: Handler, budget: ConnectionBudget, drain: DrainState) throws {
        self.index = index
        self.listener = listener
        self.settings = settings
        self.smallInputBytes = settings.smallInputBytes
        self.handler = handler
        self.budget = budget
        self.drain = drain
        epoll = try Epoll()
        self.wake = wake
        self.metrics = metrics
        self.refusals = RefusalLog(logger: logger)
        smallPool = try BufferPool(bufferSize: smallInputBytes + settings.outputBytes, count: settings.maxConnections)
        // Never smaller than the small input it takes over from, even with tiny limits.
        largePool = try BufferPool(bufferSize: max(settings.limits.maxRequestBytes, smallInputBytes), count: settings.largeBuffersPerWorker)
        events = .allocate(capacity: Self.eventCapacity)
        tokens = .allocate(capacity: Self.eventCapacity)
        guard epoll.add(listener, for: .readable, token: Self.listenerToken),
              epoll.add(wake.descriptor, for: .readable, token: Self.wakeToken)
        else { throw SystemError("epoll_ctl") }
    }

    deinit {
        epoll.close()
        events.deallocate()
        tokens.deallocate()
    }

    /// Wakes the loop from another thread (to notice a shutdown).
    @inlinable
    func wakeUp() {
        wake.signal()
    }

    // MARK: the loop

    /// Runs until a shutdown has drained every connection or its grace period ran out.
    @inlinable
    func run() {
        while true {
            let count = epoll.wait(events: events, tokens: tokens, timeoutMilliseconds: 250)
            tick()
            if count < 0 && errno != EINTR { break }
            for position in 0..<max(count, 0) {
                dispatch(token: tokens[position], events: events[position])
            }
            // Storage rings the wake signal whenever a batch resolves: only then can a waiting
            // answer have become ready.
            if storageProgressed, !waiting.isEmpty { resolveWaiting() }
            storageProgressed = false
            if nowMilliseconds - lastSweep >= 250 {
                lastSweep = nowMilliseconds
                sweep()
            }
            if drain.isDraining {
                if drainDeadline == nil { beginDrain() }
                if openCount == 0 { break }
                if let deadline = drainDeadline, nowMilliseconds >= deadline {
                    for connection in connections where connection.isOpen { closeConnection(connection) }
                    break
                }
            }
        }
        if isListening { close(listener) }
    }

    @inlinable
    func tick() {
        nowMicroseconds = MonotonicClock.microseconds()
        nowMilliseconds = nowMicroseconds / 1000
        nowWallMilliseconds = UnixTime.nowMilliseconds()
    }

    @inlinable
    func dispatch(token: UInt64, events: UInt32) {
        if token == Self.listenerToken {
            acceptConnections()
            return
        }
        if token == Self.wakeToken {
            wake.drain()
            storageProgressed = true
            return
        }
        let slot = Int(token & 0xFFFF_FFFF)
        guard slot < connections.count else { return }
        let connection = connections[slot]
        guard connection.isOpen, connection.generation == UInt32(token >> 32) else { return }
        let ready = EpollEvents(rawValue: events)
        if ready.contains(.writable) {
            flush(connection)
            guard connection.isOpen else { return }
            if !connection.isWriteBlocked, connection.count > 0 {
                process(connection)
            }
        }
        if !ready.isDisjoint(with: [.readable, .hangUp, .error, .peerHalfClosed]), connection.isOpen, !connection.isWriteBlocked {
            readAndProcess(connection)
        }
    }

    // MARK: accepting

    @inlinable
    func acceptConnections() {
        for _ in 0..<64 {
            guard budget.claim() else {
                pauseListening()
                return
            }
            let descriptor = SocketCalls.acceptNonBlocking(listener)
            if descriptor < 0 {
                budget.release()
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM: pauseListening()
                default: break
                }
                return
            }
            var one: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            guard let connection = openSlot(descriptor) else {
                close(descriptor)
                budget.release()
                pauseListening()
                return
            }
            let token = UInt64(connection.generation) << 32 | UInt64(slotIndex(connection))
            guard epoll.add(descriptor, for: [.readable, .peerHalfClosed], token: token) else {
                closeConnection(connection)
                return
            }
        }
    }

    /// Stops taking connections until the budget has room again (checked every sweep).
    @inlinable
    func pauseListening() {
        guard isListening else { return }
        epoll.modify(listener, for: [], token: Self.listenerToken)
        isPaused = true
    }

    @exclusivity(unchecked) @usableFromInline var isPaused = false

    @inlinable
    func resumeListeningIfPossible() {
        guard isPaused, isListening, budget.current < budget.limit, smallPool.available > 0 else { return }
        epoll.modify(listener, for: .readable, token: Self.listenerToken)
        isPaused = false
    }

    @inlinable
    func slotIndex(_ connection: ClientConnection) -> Int {
        Int(connection.slot)
    }

    @inlinable
    func openSlot(_ descriptor: Int32) -> ClientConnection? {
        guard let small = smallPool.take() else { return nil }
        let connection: ClientConnection
        if let slot = freeSlots.popLast() {
            connection = connections[slot]
        } else {
            connection = ClientConnection(limits: settings.limits)
            connection.slot = Int32(connections.count)
            connections.append(connection)
        }
        connection.descriptor = descriptor
        connection.generation &+= 1
        connection.small = small
        connection.large = nil
        connection.count = 0
        connection.outputCount = 0
        connection.phase = .idle
        connection.lastActivity = nowMilliseconds
        connection.closeAfterFlush = false
        connection.isWriteBlocked = false
        connection.answeredSinceFlush = 0
        connection.waitingTicket = nil
        connection.isReadPaused = false
        connection.peerClosed = false
        connection.decision = nil
        connection.parser.reset()
        openCount += 1
        return connection
    }

    @inlinable
    func closeConnection(_ connection: ClientConnection) {
        guard connection.isOpen else { return }
        // Closing the descriptor removes it from the epoll set.
        close(connection.descriptor)
        connection.descriptor = -1
        if let ticket = connection.waitingTicket {
            handler.abandon(ticket)
            connection.waitingTicket = nil
        }
        smallPool.giveBack(connection.small)
        if let large = connection.large {
            largePool.giveBack(large)
            metrics.countLargeBuffer(taken: false)
        }
        connection.large = nil
        freeSlots.append(Int(connection.slot))
        openCount -= 1
        budget.release()
        resumeListeningIfPossible()
    }

    // MARK: reading and answering

    @inlinable
    func input(_ connection: ClientConnection) -> UnsafeMutableRawBufferPointer {
        connection.large ?? UnsafeMutableRawBufferPointer(rebasing: connection.small[..<smallInputBytes])
    }

    @inlinable
    func output(_ connection: ClientConnection) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: connection.small[smallInputBytes...])
    }

    @inlinable
    func readAndProcess(_ connection: ClientConnection) {
        var buffer = input(connection)
        if connection.waitingTicket != nil, connection.count == buffer.count {
            // Nothing more can be read until the waiting answer goes out.
            pauseReading(connection)
            return
        }
        if connection.count == buffer.count {
            // Full: make room by dropping finished requests or moving to a large buffer.
            guard makeRoom(connection) else { return }
            buffer = input(connection)
        }
        let received = read(connection.descriptor, buffer.baseAddress! + connection.count, buffer.count - connection.count)
        if received == 0 {
            if connection.waitingTicket != nil {
                // The client finished sending (a half-close) and still waits for its answer:
                // send it once storage has the event, then close.
                connection.peerClosed = true
                connection.closeAfterFlush = true
                pauseReading(connection)
                return
            }
            closeConnection(connection)
            return
        }
        if received < 0 {
            if errno != EAGAIN && errno != EINTR { closeConnection(connection) }
            return
        }
        connection.lastActivity = nowMilliseconds
        if case .lingering = connection.phase {
            connection.count = 0  // drained and discarded
            return
        }
        if connection.phase == .idle {
            connection.phase = .head(since: nowMilliseconds)
            connection.requestStartedAt = nowMicroseconds
        }
        metrics.countBytesReceived(received)
        connection.count += received
        process(connection)
    }

    /// Parses and answers every complete request in the buffer, then sends all answers in one write.
    @inlinable
    func process(_ connection: ClientConnection) {
        while connection.isOpen {
            let stopped = answerBufferedRequests(connection)
            compact(connection)
            flush(connection)
            // Continue only if the pipelining cap paused parsing and the answers all went out.
            guard stopped == .pipelineCap, connection.isOpen, !connection.isWriteBlocked else { return }
        }
    }

    @usableFromInline
    enum StopReason { case needMoreData, pipelineCap, closing, awaiting }

    @inlinable
    func answerBufferedRequests(_ connection: ClientConnection) -> StopReason {
        let reserve = HTTPResponseWriter.maxHeadBytes + 2048
        while true {
            if connection.closeAfterFlush { return .closing }
            if connection.waitingTicket != nil { return .awaiting }
            if connection.answeredSinceFlush >= settings.maxPipelinedRequests
                || output(connection).count - connection.outputCount < reserve {
                return .pipelineCap
            }
            let buffer = input(connection)
            switch connection.parser.parse(buffer, count: connection.count) {
            case .needMoreData:
                // A chunked body's framing is dropped as it is parsed, so the buffer holds the
                // decoded body and not its framing.
                connection.count = connection.parser.compactChunkFraming(buffer, count: connection.count)
                if connection.parser.consumedBytes == connection.count, case .head = connection.phase {
                    connection.phase = .idle
                }
                if connection.count == buffer.count, !makeRoom(connection) { return .closing }
                return .needMoreData
            case .head:
                connection.phase = .body(since: nowMilliseconds)
                let hasBody = connection.parser.head.isChunked || (connection.parser.head.contentLength ?? 0) > 0
                let decision = handler.headReceived(connection.parser.head, in: UnsafeRawBufferPointer(buffer), nowMilliseconds: nowWallMilliseconds)
                switch decision {
                case .refuse(let refusal) where hasBody:
                    // A body nobody will read is not waited for: answer and close.
                    respond(connection, refusal, forceClose: true)
                    return .closing
                case .refuse:
                    break
                case .accept:
                    guard hasBody else { break }
                    if let required = connection.parser.requiredCapacity, required > buffer.count, !ensureLarge(connection) {
                        return .closing
                    }
                    let bodyArrived = connection.parser.requiredCapacity.map { connection.count >= $0 } ?? false
                    if connection.parser.head.expectsContinue, !bodyArrived {
                        sendContinue(connection)
                    }
                }
                connection.decision = decision
            case .complete:
                let buffer = UnsafeRawBufferPointer(input(connection))
                let body = UnsafeRawBufferPointer(rebasing: buffer[connection.parser.body])
                let decision = connection.decision
                connection.decision = nil
                switch decision {
                case .refuse(let refusal):
                    respond(connection, refusal, forceClose: false)
                case .accept(let context):
                    switch handler.respond(to: connection.parser.head, context: context, body: body, in: buffer, nowMilliseconds: nowWallMilliseconds) {
                    case .respond(let response):
                        respond(connection, response, forceClose: false)
                    case .await(let ticket):
                        connection.waitingTicket = ticket
                        connection.phase = .awaitingStorage
                        waiting.append(connection.slot)
                        return .awaiting
                    }
                case nil:
                    preconditionFailure("a request completed without its head being decided")
                }
                connection.answeredSinceFlush += 1
                if connection.closeAfterFlush { return .closing }
                connection.parser.startNextRequest()
                connection.phase = connection.parser.consumedBytes < connection.count ? .head(since: nowMilliseconds) : .idle
                connection.requestStartedAt = nowMicroseconds
            case .error(let error):
                respond(connection, .refusal(error), forceClose: true)
                return .closing
            }
        }
    }

    /// Writes a final response into the connection's output.
    @inlinable
    func respond(_ connection: ClientConnection, _ response: HTTPResponse, forceClose: Bool) {
        let isHTTP10 = connection.parser.head.version == .http10
        let isHEAD = connection.parser.head.method == .head
        let keepAlive = !forceClose && !response.closesConnection && connection.parser.head.isKeepAlive && !drain.isDraining
        var writer = HTTPResponseWriter(buffer: output(connection), count: connection.outputCount)
        let fits = date.withBytes(at: Int(nowWallMilliseconds / 1000)) { date in
            writer.write(response, keepAlive: keepAlive, http10: isHTTP10, date: date, omitsBody: isHEAD)
        }
        if !fits {
            // A body too large for the output buffer (never the case for this service's answers).
            let fallback = HTTPResponse(status: 500, body: .constant("response too large\n"), closesConnection: true)
            _ = date.withBytes(at: Int(nowWallMilliseconds / 1000)) { writer.write(fallback, keepAlive: false, http10: false, date: $0, omitsBody: isHEAD) }
            connection.closeAfterFlush = true
        }
        connection.outputCount = writer.count
        if !keepAlive { connection.closeAfterFlush = true }
        metrics.countResponse(status: response.status)
        metrics.latency.observe(Int64(nowMicroseconds - connection.requestStartedAt))
        if response.status >= 400, refusals.admit(nowSeconds: Int(nowWallMilliseconds / 1000)) {
            refusals.log(status: response.status, reason: response.reason, detail: response.logDetail,
                         peer: PeerAddress.describe(connection.descriptor))
        }
    }

    @inlinable
    func sendContinue(_ connection: ClientConnection) {
        var writer = HTTPResponseWriter(buffer: output(connection), count: connection.outputCount)
        writer.append(HTTPResponse.continueInterim)
        connection.outputCount = writer.count
        flush(connection)
    }

    /// Drops bytes of finished requests from the front of the input.
    @inlinable
    func compact(_ connection: ClientConnection) {
        let consumed = connection.parser.consumedBytes
        guard consumed > 0 else { return }
        let buffer = input(connection)
        if consumed < connection.count {
            memmove(buffer.baseAddress!, buffer.baseAddress! + consumed, connection.count - consumed)
        }
        connection.count -= consumed
        connection.parser.rebase(by: consumed)
        // Back to the small buffer once no large request is in progress.
        if let large = connection.large, connection.phase == .idle || connection.count == 0,
           connection.count <= smallInputBytes {
            if connection.count > 0 {
                connection.small.baseAddress!.copyMemory(from: large.baseAddress!, byteCount: connection.count)
            }
            connection.large = nil
            largePool.giveBack(large)
            metrics.countLargeBuffer(taken: false)
        }
    }

    /// Frees space in a full input buffer. False when the connection was answered and closed.
    @inlinable
    func makeRoom(_ connection: ClientConnection) -> Bool {
        compact(connection)
        if connection.count < input(connection).count { return true }
        if connection.large == nil { return ensureLarge(connection) }
        // A request larger than the largest the limits allow: the parser refuses those first.
        respond(connection, HTTPResponse(status: 413, body: .constant("request too large\n"), closesConnection: true), forceClose: true)
        flush(connection)
        return false
    }

    /// Moves the input into a large buffer. False (after answering 503) when none is free.
    @inlinable
    func ensureLarge(_ connection: ClientConnection) -> Bool {
        if connection.large != nil { return true }
        guard let large = largePool.take() else {
            respond(connection, HTTPResponse(status: 503, body: .constant("too many large requests at once; retry shortly\n"), retryAfterSeconds: 1, closesConnection: true), forceClose: true)
            return false
        }
        precondition(connection.count <= large.count, "a large buffer holds at least the small input")
        if connection.count > 0 {
            large.baseAddress!.copyMemory(from: connection.small.baseAddress!, byteCount: connection.count)
        }
        connection.large = large
        metrics.countLargeBuffer(taken: true)
        return true
    }

    /// Sends pending output; on a full socket waits for EPOLLOUT with reading paused.
    @inlinable
    func flush(_ connection: ClientConnection) {
        connection.answeredSinceFlush = 0
        let out = output(connection)
        var sent = 0
        while sent < connection.outputCount {
            let written = send(connection.descriptor, out.baseAddress! + sent, connection.outputCount - sent, Int32(MSG_NOSIGNAL))
            if written > 0 {
                sent += written
                continue
            }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && errno == EAGAIN {
                break
            }
            closeConnection(connection)
            return
        }
        if sent > 0 {
            var writer = HTTPResponseWriter(buffer: out, count: connection.outputCount)
            writer.removeFirst(sent)
            connection.outputCount = writer.count
        }
        let token = UInt64(connection.generation) << 32 | UInt64(connection.slot)
        if connection.outputCount > 0 {
            if !connection.isWriteBlocked {
                connection.isWriteBlocked = true
                epoll.modify(connection.descriptor, for: .writable, token: token)
            }
            return
        }
        if connection.isWriteBlocked {
            connection.isWriteBlocked = false
            epoll.modify(connection.descriptor, for: connection.isReadPaused ? [] : [.readable, .peerHalfClosed], token: token)
        }
        if connection.closeAfterFlush {
            if connection.peerClosed {
                closeConnection(connection)
                return
            }
            if case .lingering = connection.phase { return }
            // Half-close and drain: closing with unread input would reset the connection and
            // could destroy the response before the client reads it.
            shutdown(connection.descriptor, Int32(SHUT_WR))
            connection.phase = .lingering(until: nowMilliseconds + Self.lingerMilliseconds)
            connection.count = 0
        }
    }

    // MARK: answers that wait for storage

    /// Releases every waiting answer whose record is now durable (or has failed).
    @inlinable
    func resolveWaiting() {
        var position = 0
        while position < waiting.count {
            let connection = connections[Int(waiting[position])]
            guard connection.isOpen, let ticket = connection.waitingTicket else {
                waiting.swapAt(position, waiting.count - 1)
                waiting.removeLast()
                continue
            }
            guard let response = handler.resolve(ticket) else {
                position += 1
                continue
            }
            waiting.swapAt(position, waiting.count - 1)
            waiting.removeLast()
            connection.waitingTicket = nil
            respond(connection, response, forceClose: false)
            connection.answeredSinceFlush += 1
            if !connection.closeAfterFlush {
                connection.parser.startNextRequest()
                connection.phase = connection.parser.consumedBytes < connection.count ? .head(since: nowMilliseconds) : .idle
                connection.requestStartedAt = nowMicroseconds
            }
            if connection.closeAfterFlush {
                flush(connection)
                continue
            }
            if connection.isReadPaused { resumeReading(connection) }
            process(connection)
        }
    }

    @inlinable
    func pauseReading(_ connection: ClientConnection) {
        guard !connection.isReadPaused, !connection.isWriteBlocked else { return }
        connection.isReadPaused = true
        epoll.modify(connection.descriptor, for: [], token: token(connection))
    }

    @inlinable
    func resumeReading(_ connection: ClientConnection) {
        connection.isReadPaused = false
        guard !connection.isWriteBlocked else { return }
        epoll.modify(connection.descriptor, for: [.readable, .peerHalfClosed], token: token(connection))
    }

    @inlinable
    func token(_ connection: ClientConnection) -> UInt64 {
        UInt64(connection.generation) << 32 | UInt64(connection.slot)
    }

    // MARK: deadlines and shutdown

    @inlinable
    func sweep() {
        resumeListeningIfPossible()
        for connection in connections where connection.isOpen {
            switch connection.phase {
            case .lingering(let until):
                if nowMilliseconds >= until { closeConnection(connection) }
            case .head(let since):
                if nowMilliseconds - since > settings.headerTimeoutMilliseconds { timeOut(connection, "request headers did not arrive in time\n") }
            case .body(let since):
                if nowMilliseconds - since > settings.bodyTimeoutMilliseconds { timeOut(connection, "request body did not arrive in time\n") }
            case .awaitingStorage:
                break
            case .idle:
                if connection.isWriteBlocked {
                    if nowMilliseconds - connection.lastActivity > settings.idleTimeoutMilliseconds { closeConnection(connection) }
                } else if connection.outputCount == 0,
                          drain.isDraining || nowMilliseconds - connection.lastActivity > settings.idleTimeoutMilliseconds {
                    closeConnection(connection)
                }
            }
        }
    }

    @inlinable
    func timeOut(_ connection: ClientConnection, _ message: StaticString) {
        guard !connection.isWriteBlocked else {
            closeConnection(connection)
            return
        }
        respond(connection, HTTPResponse(status: 408, body: .constant(message), closesConnection: true), forceClose: true)
        flush(connection)
    }

    /// Stops accepting; idle connections close now, busy ones after their answer.
    @inlinable
    func beginDrain() {
        drainDeadline = nowMilliseconds + settings.shutdownGraceMilliseconds
        if isListening {
            epoll.remove(listener)
            close(listener)
            isListening = false
        }
        for connection in connections where connection.isOpen {
            if connection.phase == .idle, connection.outputCount == 0 { closeConnection(connection) }
        }
    }
}
