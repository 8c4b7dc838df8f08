public import FastReceiverCrypto
internal import FastReceiverSystem
internal import Glibc

/// Sends a `LoadPlan`'s requests over keep-alive connections from one epoll loop on the calling
/// thread, and reports answers, failures and latency.
///
/// One thread drives every connection through non-blocking sockets, so hundreds of connections
/// cost no more threads than one. Open-loop sends are timed by a timerfd armed at each next due
/// time (nanosecond resolution; epoll's own timeout counts in milliseconds). Responses are framed
/// by `HTTPResponseScanner` and their bodies skipped unread. An https endpoint gets a TLS
/// handshake on each connection before it counts as connected.
///
/// Connections are opened before the clock starts. A connection that breaks fails the request it
/// carried (a connection error) and is reopened for the next one; a refused connect waits
/// `LoadPlan.reconnectDelayMilliseconds` before the next try.
public struct LoadGenerator<Recorder: LatencyRecorder> {
    public let endpoint: HTTPClientConnection.Endpoint
    public let plan: LoadPlan
    /// Every answer's latency; read it after `run()` for more than the report's percentiles.
    public private(set) var recorder: Recorder
    private let supply: SignedRequestSupply
    private let address: SocketAddress
    /// The client TLS context, for an https endpoint.
    private let tls: TLSClientContext?

    private var connections: [LoadConnection] = []
    /// Connections in `.idle`, and in `.closed`.
    private var idle: [Int] = []
    private var closed: [Int] = []
    /// Made by `run()`, closed when it returns.
    private var epoll: Epoll?
    private var timer: DeadlineTimer?
    private var timerArmedAt: UInt64 = 0
    private var readBuffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    private var start: UInt64 = 0
    /// When no further request may be sent (count reached, duration over), once that is so.
    private var sendingEndedAt: UInt64?
    /// The last answer or failure (or the start): the answer timeout runs from it.
    private var lastProgress: UInt64 = 0
    private var sent = 0
    private var inFlight = 0
    private var statuses: [Int: Int] = [:]
    private var connectionErrors = 0
    private var lastConnectError: SystemError?

    private static var timerToken: UInt64 { .max }

    /// - Parameters:
    ///   - endpoint: the receiver; its host is resolved here.
    ///   - plan: what to send and when to stop.
    ///   - supply: the signed requests (made for the same plan and endpoint).
    ///   - recorder: records each answer's latency in microseconds.
    ///   - tls: for an https endpoint, whom to trust; nil trusts the system's store.
    /// - Throws: `ClientError` when the host does not resolve or the TLS context cannot be made.
    public init(endpoint: HTTPClientConnection.Endpoint, plan: LoadPlan, supply: SignedRequestSupply, recorder: Recorder,
                tls: TLSClientContext? = nil) throws(ClientError) {
        self.endpoint = endpoint
        if !endpoint.isTLS {
            self.tls = nil
        } else if let tls {
            self.tls = tls
        } else {
            do {
                self.tls = try TLSClientContext()
            } catch {
                throw ClientError(error.description)
            }
        }
        self.plan = plan
        self.supply = supply
        self.recorder = recorder
        self.address = try SocketAddress(host: endpoint.host, port: endpoint.port)
    }

    /// Connects, sends until the plan's count or duration is reached, waits for the last answers
    /// (at most `answerTimeout`), and reports. Runs once.
    /// - Throws: `SystemError` when epoll or the timer cannot be set up, or when not one
    ///   connection to the receiver can be opened.
    public mutating func run() throws -> LoadReport {
        precondition(connections.isEmpty, "a LoadGenerator runs once")
        ProcessResources.raiseOpenFileLimit()
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        defer {
            for index in connections.indices where connections[index].descriptor >= 0 { close(connections[index].descriptor) }
            timer?.close()
            epoll?.close()
            readBuffer.deallocate()
            supply.finish()
        }
        let epoll = try Epoll()
        self.epoll = epoll
        let timer = try DeadlineTimer()
        self.timer = timer
        guard epoll.add(timer.descriptor, for: .readable, token: Self.timerToken) else { throw SystemError("epoll_ctl") }

        try connectAll()
        start = MonotonicClock.nanoseconds()
        lastProgress = start
        let events = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 256)
        let tokens = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 256)
        defer { events.deallocate(); tokens.deallocate() }
        let answerTimeout = UInt64(plan.answerTimeout * 1e9)
        while true {
            let now = MonotonicClock.nanoseconds()
            if sendingEndedAt == nil {
                dispatch(now: now)
                if !maySend(now: now) { sendingEndedAt = now }
            }
            if inFlight == 0, sendingEndedAt != nil { break }
            if inFlight > 0, now >= lastProgress + answerTimeout { break }
            arm(wakeTime(now: now, answerTimeout: answerTimeout))
            let count = epoll.wait(events: events, tokens: tokens, timeoutMilliseconds: -1)
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError("epoll_wait")
            }
            for index in 0..<count { handle(EpollEvents(rawValue: events[index]), token: tokens[index]) }
        }
        return LoadReport(plan: plan, sent: sent, statuses: statuses, connectionErrors: connectionErrors, timeouts: inFlight,
                          redelivered: supply.redelivered, seconds: Double(lastProgress - start) / 1e9, latency: LatencyPercentiles(recorder))
    }

    // MARK: Scheduling

    /// Whether another request may still be sent.
    private func maySend(now: UInt64) -> Bool {
        if let planned = plan.plannedRequests, sent >= planned { return false }
        if !plan.isOpenLoop, let duration = plan.duration, now >= start + UInt64(duration * 1e9) { return false }
        return true
    }

    /// When request number `index` is due: open loop, by the schedule.
    private func dueTime(_ index: Int) -> UInt64 {
        guard let rate = plan.rate else { return 0 }
        return start + UInt64((Double(index) * 1e9 / rate).rounded())
    }

    /// Sends every request that is due, as long as a connection is free.
    private mutating func dispatch(now: UInt64) {
        while maySend(now: now) {
            let due = plan.isOpenLoop ? dueTime(sent) : now
            guard due <= now, let index = takeConnection(now: now) else { return }
            sent += 1
            inFlight += 1
            connections[index].hasRequest = true
            connections[index].request = supply.next()
            connections[index].written = 0
            connections[index].latencyOrigin = due
            if connections[index].state == .idle {
                connections[index].state = .busy
                flush(index)
            } else {
                open(index, now: now)
            }
        }
    }

    /// An idle connection, else a closed one whose reconnect time has come.
    private mutating func takeConnection(now: UInt64) -> Int? {
        if let index = idle.popLast() { return index }
        for (position, index) in closed.enumerated() {
            if case .closed(let reconnectAt) = connections[index].state, reconnectAt <= now {
                closed.swapAt(position, closed.count - 1)
                return closed.removeLast()
            }
        }
        return nil
    }

    /// The next moment the loop must wake without a socket event: a request falling due, the
    /// duration ending, a reconnect becoming possible, or the answer timeout.
    private func wakeTime(now: UInt64, answerTimeout: UInt64) -> UInt64 {
        var wake = inFlight > 0 ? lastProgress + answerTimeout : UInt64.max
        guard sendingEndedAt == nil else { return wake }
        if plan.isOpenLoop {
            let due = dueTime(sent)
            if due > now { wake = min(wake, due) }
        } else if let duration = plan.duration {
            wake = min(wake, start + UInt64(duration * 1e9))
        }
        if idle.isEmpty {
            for index in closed {
                if case .closed(let reconnectAt) = connections[index].state, reconnectAt > now { wake = min(wake, reconnectAt) }
            }
        }
        return wake
    }

    /// Arms the timer for `wake` unless it will already fire at or before then: waking early
    /// costs one loop turn, re-arming on every answer (the answer timeout moves with each) a
    /// system call.
    private mutating func arm(_ wake: UInt64) {
        guard wake != .max, timerArmedAt == 0 || wake < timerArmedAt else { return }
        timerArmedAt = wake
        timer?.arm(at: wake)
    }

    // MARK: Connections

    /// Opens every connection and waits (at most 10 s) until each is connected or has failed.
    private mutating func connectAll() throws {
        connections = Array(repeating: LoadConnection(), count: plan.connections)
        let now = MonotonicClock.nanoseconds()
        for index in connections.indices { open(index, now: now) }
        let deadline = now + 10_000_000_000
        let events = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 256)
        let tokens = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 256)
        defer { events.deallocate(); tokens.deallocate() }
        while connections.contains(where: { $0.state == .connecting }), MonotonicClock.nanoseconds() < deadline {
            let count = epoll?.wait(events: events, tokens: tokens, timeoutMilliseconds: 100) ?? -1
            for index in 0..<max(count, 0) { handle(EpollEvents(rawValue: events[index]), token: tokens[index]) }
        }
        guard !idle.isEmpty else { throw lastConnectError ?? SystemError("connect", errno: ETIMEDOUT) }
    }

    /// Opens a socket for connection `index` and starts connecting. On an immediate failure, the
    /// connection's request (if any) fails and the connection waits before its next try.
    private mutating func open(_ index: Int, now: UInt64) {
        let descriptor = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            connectFailed(index, error: SystemError("socket"), now: now)
            return
        }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = address.withSockaddr { Glibc.connect(descriptor, $0, $1) }
        guard result == 0 || errno == EINPROGRESS else {
            let error = SystemError("connect")
            close(descriptor)
            connectFailed(index, error: error, now: now)
            return
        }
        connections[index].generation &+= 1
        connections[index].descriptor = descriptor
        connections[index].scanner = HTTPResponseScanner()
        connections[index].isWatchingWritable = true
        connections[index].state = .connecting
        epoll?.add(descriptor, for: [.readable, .peerHalfClosed, .writable], token: token(index))
    }

    private func token(_ index: Int) -> UInt64 {
        UInt64(index) | UInt64(connections[index].generation) << 32
    }

    /// Starts the TLS handshake on a connected socket.
    private mutating func startTLS(_ index: Int, context: TLSClientContext, now: UInt64) {
        do {
            connections[index].tls = try TLSConnection(client: context, descriptor: connections[index].descriptor, serverName: endpoint.host)
        } catch {
            connected(index, error: SystemError("SSL_new", errno: ENOMEM), now: now)
            return
        }
        handshake(index, now: now)
    }

    /// Runs the TLS handshake as far as the socket allows; the connection is connected once it is done.
    private mutating func handshake(_ index: Int, now: UInt64) {
        guard let tls = connections[index].tls else { return }
        switch tls.handshake() {
        case .done: connected(index, error: nil, now: now)
        case .wantRead: watchWritable(index, false)
        case .wantWrite: watchWritable(index, true)
        case .failed: connected(index, error: SystemError("TLS handshake", errno: EPROTO), now: now)
        }
    }

    /// The connect finished (`error` nil) or failed.
    private mutating func connected(_ index: Int, error: SystemError?, now: UInt64) {
        if let error {
            connections[index].tls = nil
            close(connections[index].descriptor)
            connections[index].descriptor = -1
            connectFailed(index, error: error, now: now)
            return
        }
        watchWritable(index, false)
        if connections[index].hasRequest {
            connections[index].state = .busy
            flush(index)
        } else {
            connections[index].state = .idle
            idle.append(index)
        }
    }

    private mutating func connectFailed(_ index: Int, error: SystemError, now: UInt64) {
        lastConnectError = error
        failRequest(index, now: now)
        connections[index].state = .closed(reconnectAt: now + UInt64(plan.reconnectDelayMilliseconds) * 1_000_000)
        closed.append(index)
    }

    /// Closes connection `index`: its request, if any, counts as a connection error. It may be
    /// reopened at once.
    private mutating func disconnect(_ index: Int, now: UInt64) {
        if connections[index].state == .idle, let position = idle.firstIndex(of: index) { idle.remove(at: position) }
        connections[index].tls = nil
        if connections[index].descriptor >= 0 { close(connections[index].descriptor) }
        connections[index].descriptor = -1
        connections[index].isWatchingWritable = false
        failRequest(index, now: now)
        connections[index].state = .closed(reconnectAt: now)
        closed.append(index)
    }

    private mutating func failRequest(_ index: Int, now: UInt64) {
        guard connections[index].hasRequest else { return }
        connections[index].hasRequest = false
        connections[index].request = []
        connections[index].written = 0
        inFlight -= 1
        connectionErrors += 1
        lastProgress = now
    }

    private mutating func watchWritable(_ index: Int, _ isWatching: Bool) {
        guard connections[index].isWatchingWritable != isWatching else { return }
        connections[index].isWatchingWritable = isWatching
        let interest: EpollEvents = isWatching ? [.readable, .peerHalfClosed, .writable] : [.readable, .peerHalfClosed]
        epoll?.modify(connections[index].descriptor, for: interest, token: token(index))
    }

    // MARK: Events

    private mutating func handle(_ events: EpollEvents, token: UInt64) {
        if token == Self.timerToken {
            timer?.acknowledge()
            timerArmedAt = 0
            return
        }
        let index = Int(token & 0xFFFF_FFFF)
        guard index < connections.count, connections[index].generation == UInt32(token >> 32), connections[index].descriptor >= 0 else { return }
        let now = MonotonicClock.nanoseconds()
        if connections[index].state == .connecting, connections[index].tls != nil {
            handshake(index, now: now)
            return
        }
        if connections[index].state == .connecting {
            guard !events.isDisjoint(with: [.writable, .error, .hangUp]) else { return }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            let status = getsockopt(connections[index].descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
            let error = status != 0 ? SystemError("getsockopt") : failure != 0 ? SystemError("connect", errno: failure) : nil
            if error == nil, let tls {
                startTLS(index, context: tls, now: now)
            } else {
                connected(index, error: error, now: now)
            }
            return
        }
        // A TLS write may wait for readable (and a read for writable): retry on either.
        if events.contains(.writable) || connections[index].tls != nil, connections[index].state == .busy, connections[index].isRequestUnwritten {
            flush(index)
        }
        if !events.isDisjoint(with: [.readable, .error, .hangUp, .peerHalfClosed]), connections[index].descriptor >= 0 {
            receive(index)
        }
    }

    /// Writes what the socket takes of the request; watches for writability if it takes less.
    private mutating func flush(_ index: Int) {
        let descriptor = connections[index].descriptor
        while connections[index].isRequestUnwritten {
            let offset = connections[index].written
            let written = connections[index].request.withUnsafeBytes { bytes in
                if let tls = connections[index].tls { return tls.sendResult(UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
                return send(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                connections[index].written += written
            } else if written < 0, errno == EINTR {
                continue
            } else if written < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                watchWritable(index, true)
                return
            } else {
                disconnect(index, now: MonotonicClock.nanoseconds())
                return
            }
        }
        // All written: release the bytes, keep `written == request.count` (both 0).
        connections[index].request = []
        connections[index].written = 0
        watchWritable(index, false)
    }

    /// Reads what has arrived and completes the request it answers.
    private mutating func receive(_ index: Int) {
        repeat {
            receiveOnce(index)
            // Input OpenSSL already holds is never reported by epoll.
        } while connections[index].tls?.hasBufferedInput == true
    }

    /// Reads once and completes the request it answers.
    private mutating func receiveOnce(_ index: Int) {
        let buffer = readBuffer
        let received = connections[index].tls.map { $0.receiveResult(into: buffer) }
            ?? recv(connections[index].descriptor, buffer.baseAddress, buffer.count, 0)
        let now = MonotonicClock.nanoseconds()
        if received < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
        guard received > 0 else {
            // Closed or reset: fails the request in flight; a connection closed while idle
            // (the server's idle timeout) is simply reopened when next needed.
            disconnect(index, now: now)
            return
        }
        var answer: HTTPResponseScanner.Response?
        var answers = 0
        do {
            try connections[index].scanner.consume(UnsafeRawBufferPointer(rebasing: buffer[..<received])) { response in
                if answer == nil { answer = response }
                answers += 1
            }
        } catch {
            disconnect(index, now: now)
            return
        }
        guard let answer else { return }
        guard connections[index].hasRequest, answers == 1 else {
            // An answer to no request (a 408 before an idle close, say): this connection's
            // stream is no longer in step with its requests.
            disconnect(index, now: now)
            return
        }
        complete(index, answer, now: now)
    }

    private mutating func complete(_ index: Int, _ answer: HTTPResponseScanner.Response, now: UInt64) {
        let origin = connections[index].latencyOrigin
        recorder.record(microseconds: now > origin ? (now - origin) / 1000 : 0)
        statuses[answer.status, default: 0] += 1
        inFlight -= 1
        lastProgress = now
        let wasCutShort = connections[index].isRequestUnwritten
        connections[index].hasRequest = false
        connections[index].request = []
        connections[index].written = 0
        if answer.closesConnection || wasCutShort {
            disconnect(index, now: now)
        } else {
            connections[index].state = .idle
            idle.append(index)
        }
    }
}

/// A resolved socket address (the first that `getaddrinfo` returns).
private struct SocketAddress {
    var storage = sockaddr_storage()
    var length: socklen_t = 0
    var family: Int32 = 0

    init(host: String, port: Int) throws(ClientError) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw ClientError("Cannot resolve \(host): \(String(cString: gai_strerror(status))).")
        }
        defer { freeaddrinfo(result) }
        family = first.pointee.ai_family
        length = first.pointee.ai_addrlen
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
