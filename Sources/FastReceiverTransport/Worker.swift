public import FastReceiverHTTP
public import FastReceiverSystem
public import Glibc
internal import Logging

/// One worker thread: its own `SO_REUSEPORT` listener, its own epoll loop, its own connections
/// and buffers. Nothing here is shared with other workers except the connection budget and the
/// drain state, both atomics.
///
/// The worker makes the system calls (accept, epoll, and reads, writes and closes through the
/// transport) and moves bytes between buffers; each connection's `ConnectionStateMachine`
/// decides what happens next. Answering requests is in `Worker+Requests.swift`.
@usableFromInline
final class Worker<Handler: RequestHandler, Transport: ByteTransport>: @unchecked Sendable {
    // @unchecked Sendable: a worker is created on the main thread and then used only by its
    // own thread; the main thread touches only `wake()`, which writes to an eventfd.
    //
    // The loop is @inlinable so that the module that picks the handler specializes it. Its
    // mutable state, like each connection's, belongs to this one thread and is never accessed
    // re-entrantly: `@exclusivity(unchecked)` spares every access the runtime check that code
    // inlined into another module would otherwise pay.

    @usableFromInline typealias ClientConnection = Connection<Handler.RequestContext, Handler.Ticket, Transport>

    @inlinable static var listenerToken: UInt64 { .max }
    @inlinable static var wakeToken: UInt64 { .max - 1 }
    @inlinable static var eventCapacity: Int { 64 }

    @usableFromInline let index: Int
    @usableFromInline let settings: ServerSettings
    /// `settings.smallInputBytes`, read on every request.
    @usableFromInline let smallInputBytes: Int
    @usableFromInline let connectionLimits: ConnectionStateMachine<Handler.RequestContext, Handler.Ticket>.Limits
    @usableFromInline let transportSettings: Transport.Settings
    @usableFromInline let handler: Handler
    @usableFromInline let budget: ConnectionBudget
    @usableFromInline let drain: DrainState
    @exclusivity(unchecked) @usableFromInline var listener: Int32
    @exclusivity(unchecked) @usableFromInline var isListening = true
    /// Accepting is paused until the budget and the buffer pool have room again.
    @exclusivity(unchecked) @usableFromInline var isPaused = false
    @usableFromInline let epoll: Epoll
    @usableFromInline let wake: WakeSignal
    @usableFromInline let smallPool: BufferPool
    @usableFromInline let largePool: BufferPool
    @exclusivity(unchecked) @usableFromInline var connections: [ClientConnection] = []
    @exclusivity(unchecked) @usableFromInline var freeSlots: [Int] = []
    @exclusivity(unchecked) @usableFromInline var openCount = 0
    @exclusivity(unchecked) @usableFromInline var date = HTTPDate()
    @exclusivity(unchecked) @usableFromInline var nowMilliseconds = 0
    @exclusivity(unchecked) @usableFromInline var nowMicroseconds = 0
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

    @usableFromInline let metrics: WorkerMetrics
    @exclusivity(unchecked) @usableFromInline var refusals: RefusalLog

    /// - Parameters:
    ///   - transport: what each connection's transport is made from.
    ///   - logger: where refused requests are logged (rate-limited).
    init(index: Int, listener: Int32, wake: WakeSignal, metrics: WorkerMetrics, settings: ServerSettings, transport: Transport.Settings,
         logger: Logger, handler: Handler, budget: ConnectionBudget, drain: DrainState) throws {
        self.index = index
        self.listener = listener
        self.settings = settings
        self.smallInputBytes = settings.smallInputBytes
        self.connectionLimits = .init(settings: settings)
        self.transportSettings = transport
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
                dispatch(token: tokens[position], events: EpollEvents(rawValue: events[position]))
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
    func dispatch(token: UInt64, events ready: EpollEvents) {
        if token == Self.listenerToken {
            acceptConnections()
            return
        }
        if token == Self.wakeToken {
            wake.drain()
            storageProgressed = true
            return
        }
        let (slot, generation) = ClientConnection.slotAndGeneration(of: token)
        guard slot < connections.count else { return }
        let connection = connections[slot]
        guard connection.isOpen, connection.generation == generation else { return }
        if let waitsFor = connection.machine.writeWaitsFor, waitsFor.isReported(in: ready) {
            flush(connection)
            if connection.isOpen, connection.machine.writeWaitsFor == nil, connection.count > 0 {
                process(connection)
            }
        }
        // Input a transport already holds is not reported by epoll: read it once output allows.
        if connection.isOpen, connection.machine.isReading,
           connection.machine.readWaitsFor.isReported(in: ready) || connection.transport.hasBufferedInput {
            if case .handshaking = connection.machine.state {
                handshake(connection)
            } else {
                readAndProcess(connection)
            }
        }
        settle(connection)
    }

    /// Registers the connection's epoll interest if its state changed it.
    @inlinable
    func settle(_ connection: ClientConnection) {
        guard connection.isOpen, let interest = connection.machine.interestChange() else { return }
        epoll.modify(connection.descriptor, for: interest, token: connection.token)
    }

    // MARK: accepting and closing

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
            guard let transport = Transport(descriptor: descriptor, settings: transportSettings) else {
                close(descriptor)
                budget.release()
                continue
            }
            guard let connection = openSlot(descriptor, transport) else {
                var transport = transport
                transport.close()
                budget.release()
                pauseListening()
                return
            }
            guard epoll.add(descriptor, for: connection.machine.registeredInterest, token: connection.token) else {
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

    @inlinable
    func resumeListeningIfPossible() {
        guard isPaused, isListening, budget.current < budget.limit, smallPool.available > 0 else { return }
        epoll.modify(listener, for: .readable, token: Self.listenerToken)
        isPaused = false
    }

    @inlinable
    func openSlot(_ descriptor: Int32, _ transport: Transport) -> ClientConnection? {
        guard let small = smallPool.take() else { return nil }
        let connection: ClientConnection
        if let slot = freeSlots.popLast() {
            connection = connections[slot]
        } else {
            connection = ClientConnection(slot: Int32(connections.count), transport: transport, limits: connectionLimits,
                                          httpLimits: settings.limits)
            connections.append(connection)
        }
        connection.open(descriptor: descriptor, transport: transport, small: small, now: nowMilliseconds, nowMicroseconds: nowMicroseconds)
        openCount += 1
        return connection
    }

    @inlinable
    func closeConnection(_ connection: ClientConnection) {
        guard connection.isOpen else { return }
        // Closing the descriptor removes it from the epoll set.
        connection.transport.close()
        connection.descriptor = -1
        if let ticket = connection.machine.close() {
            handler.abandon(ticket)
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

    // MARK: reading and writing

    @inlinable
    func input(_ connection: ClientConnection) -> UnsafeMutableRawBufferPointer {
        connection.large ?? UnsafeMutableRawBufferPointer(rebasing: connection.small[..<smallInputBytes])
    }

    @inlinable
    func output(_ connection: ClientConnection) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: connection.small[smallInputBytes...])
    }

    /// Runs the transport's handshake as far as the socket allows.
    @inlinable
    func handshake(_ connection: ClientConnection) {
        switch connection.machine.handshakeProgressed(connection.transport.handshake()) {
        case .read: readAndProcess(connection)
        case .wait: break
        case .close: closeConnection(connection)
        }
    }

    /// Reads what the transport has and answers every request it completes; reads again while
    /// the transport holds input that epoll will not report.
    @inlinable
    func readAndProcess(_ connection: ClientConnection) {
        repeat {
            var buffer = input(connection)
            if connection.count == buffer.count {
                switch connection.machine.inputFull() {
                case .pauseReading:
                    return
                case .makeRoom:
                    // Full: make room by dropping finished requests or moving to a large buffer.
                    guard makeRoom(connection) else {
                        flush(connection)
                        return
                    }
                    buffer = input(connection)
                }
            }
            switch connection.transport.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[connection.count...])) {
            case .bytes(let received):
                switch connection.machine.bytesRead(now: nowMilliseconds, nowMicroseconds: nowMicroseconds) {
                case .discard:
                    connection.count = 0
                case .parse:
                    metrics.countBytesReceived(received)
                    connection.count += received
                    process(connection)
                }
            case .wouldBlock(let readiness):
                connection.machine.readWouldBlock(on: readiness)
                return
            case .closed:
                // A client that finished sending but still waits for its answer gets it, then
                // the connection closes.
                if connection.machine.peerHalfClosed() { closeConnection(connection) }
                return
            case .failed:
                closeConnection(connection)
                return
            }
        } while connection.isOpen && connection.machine.isReading && connection.transport.hasBufferedInput
    }

    /// Sends pending output; what the transport does not take waits for the readiness it names,
    /// with reading stopped.
    @inlinable
    func flush(_ connection: ClientConnection) {
        let out = output(connection)
        var sent = 0
        var blockedOn: TransportReadiness?
        while sent < connection.outputCount {
            switch connection.transport.write(from: UnsafeRawBufferPointer(rebasing: out[sent..<connection.outputCount])) {
            case .bytes(let written):
                sent += written
                continue
            case .wouldBlock(let readiness):
                blockedOn = readiness
            case .failed:
                closeConnection(connection)
                return
            }
            break
        }
        if sent > 0 {
            var writer = HTTPResponseWriter(buffer: out, count: connection.outputCount)
            writer.removeFirst(sent)
            connection.outputCount = writer.count
        }
        switch connection.machine.outputSent(blockedOn: blockedOn, now: nowMilliseconds) {
        case .none:
            break
        case .close:
            closeConnection(connection)
        case .linger:
            // Half-close and drain: closing with unread input would reset the connection and
            // could destroy the response before the client reads it.
            connection.transport.shutdownOutput()
            connection.count = 0
        }
    }

    // MARK: deadlines and shutdown

    @inlinable
    func sweep() {
        resumeListeningIfPossible()
        for connection in connections where connection.isOpen {
            switch connection.machine.deadlinePassed(now: nowMilliseconds, isDraining: drain.isDraining) {
            case .none:
                break
            case .close:
                closeConnection(connection)
            case .timeOut(let timeout):
                answer(connection, HTTPResponse(status: 408, body: .constant(timeout.message), closesConnection: true), forceClose: true)
                flush(connection)
                settle(connection)
            }
        }
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
        sweep()
    }
}
