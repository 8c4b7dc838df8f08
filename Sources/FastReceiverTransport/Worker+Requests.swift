public import FastReceiverHTTP
public import FastReceiverMetrics
public import Glibc

/// Framing requests in a connection's input, asking the handler, and queueing answers.
extension Worker {
    /// Parses and answers every complete request in the buffer, then sends all answers in one write.
    @inlinable
    func process(_ connection: ClientConnection) {
        while connection.isOpen {
            let reachedPipelineCap = answerBufferedRequests(connection)
            guard connection.isOpen else { return }
            compact(connection)
            flush(connection)
            // Go on only if the pipelining cap paused parsing and the answers all went out.
            guard reachedPipelineCap, connection.isOpen, connection.machine.writeWaitsFor == nil else { return }
        }
    }

    /// Answers requests from the buffer until one needs more bytes, waits for storage, closes
    /// the connection, or the pipelining cap is reached.
    /// - Returns: true when the pipelining cap (or the output space) stopped it.
    @inlinable
    func answerBufferedRequests(_ connection: ClientConnection) -> Bool {
        let reserve = HTTPResponseWriter.maxHeadBytes + 2048
        while true {
            switch connection.machine.parseGate(hasOutputRoom: output(connection).count - connection.outputCount >= reserve) {
            case .parse: break
            case .pipelineFull: return true
            case .stop: return false
            }
            let buffer = input(connection)
            switch connection.machine.parser.parse(buffer, count: connection.count) {
            case .needMoreData:
                // A chunked body's framing is dropped as it is parsed, so the buffer holds the
                // decoded body and not its framing.
                connection.count = connection.machine.parser.compactChunkFraming(buffer, count: connection.count)
                if connection.count == buffer.count { _ = makeRoom(connection) }
                return false
            case .head:
                let decision = handler.headReceived(connection.machine.parser.head, in: UnsafeRawBufferPointer(buffer),
                                                    nowMilliseconds: nowWallMilliseconds)
                switch connection.machine.headParsed(decision, buffer: buffer, count: connection.count, now: nowMilliseconds) {
                case .refuse(let refusal, let closes):
                    answer(connection, refusal, forceClose: closes)
                case .readBody(let sendContinue):
                    if let required = connection.machine.parser.requiredCapacity, required > buffer.count, !ensureLarge(connection) {
                        return false
                    }
                    if sendContinue { self.sendContinue(connection) }
                case .parse:
                    break
                }
            case .complete:
                let context = connection.machine.requestComplete()
                let buffer = UnsafeRawBufferPointer(buffer)
                let body = UnsafeRawBufferPointer(rebasing: buffer[connection.machine.parser.body])
                switch handler.respond(to: connection.machine.parser.head, context: context, body: body, in: buffer,
                                       nowMilliseconds: nowWallMilliseconds) {
                case .respond(let response):
                    answer(connection, response, forceClose: false)
                case .await(let ticket):
                    connection.machine.awaitStorage(ticket)
                    waiting.append(connection.slot)
                }
            case .error(let error):
                answer(connection, .refusal(error), forceClose: true)
            }
        }
    }

    /// Queues a final answer in the connection's output, counts and logs it, and starts the next
    /// request unless the connection closes.
    @inlinable
    func answer(_ connection: ClientConnection, _ response: HTTPResponse, forceClose: Bool) {
        // Read from the parser in place: a copy of the head would outlive the request.
        let isHEAD = connection.machine.parser.head.method == .head
        let isHTTP10 = connection.machine.parser.head.version == .http10
        var keepAlive = !forceClose && !response.closesConnection && connection.machine.parser.head.isKeepAlive && !drain.isDraining
        var writer = HTTPResponseWriter(buffer: output(connection), count: connection.outputCount)
        let fits = date.withBytes(at: Int(nowWallMilliseconds / 1000)) { date in
            writer.write(response, keepAlive: keepAlive, http10: isHTTP10, date: date, omitsBody: isHEAD)
        }
        if !fits {
            // A body too large for the output buffer (never the case for this service's answers).
            let fallback = HTTPResponse(status: 500, body: .constant("response too large\n"), closesConnection: true)
            _ = date.withBytes(at: Int(nowWallMilliseconds / 1000)) { writer.write(fallback, keepAlive: false, http10: false, date: $0, omitsBody: isHEAD) }
            keepAlive = false
        }
        connection.outputCount = writer.count
        metrics.countResponse(status: response.status)
        metrics.latency.observe(Int64(nowMicroseconds - connection.machine.requestStartedAt))
        if response.status >= 400, refusals.admit(nowSeconds: Int(nowWallMilliseconds / 1000)) {
            refusals.log(status: response.status, reason: response.reason, detail: response.logDetail,
                         peer: PeerAddress.describe(connection.descriptor))
        }
        _ = connection.machine.answerQueued(keepAlive: keepAlive, count: connection.count, now: nowMilliseconds,
                                            nowMicroseconds: nowMicroseconds)
    }

    /// Tells a client that waits for it to send its body.
    @inlinable
    func sendContinue(_ connection: ClientConnection) {
        var writer = HTTPResponseWriter(buffer: output(connection), count: connection.outputCount)
        writer.append(HTTPResponse.continueInterim)
        connection.outputCount = writer.count
        flush(connection)
    }

    /// Releases every waiting answer whose record is now durable (or has failed).
    @inlinable
    func resolveWaiting() {
        var position = 0
        while position < waiting.count {
            let connection = connections[Int(waiting[position])]
            guard connection.isOpen, let ticket = connection.machine.ticket else {
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
            answer(connection, response, forceClose: false)
            // Answers the requests buffered behind it, or closes once the answer is out.
            process(connection)
            if connection.isOpen, connection.machine.isReading, connection.transport.hasBufferedInput { readAndProcess(connection) }
            settle(connection)
        }
    }

    // MARK: buffers

    /// Drops bytes of finished requests from the front of the input.
    @inlinable
    func compact(_ connection: ClientConnection) {
        let consumed = connection.machine.parser.consumedBytes
        guard consumed > 0 else { return }
        let buffer = input(connection)
        if consumed < connection.count {
            memmove(buffer.baseAddress!, buffer.baseAddress! + consumed, connection.count - consumed)
        }
        connection.count -= consumed
        connection.machine.parser.rebase(by: consumed)
        // Back to the small buffer once no large request is in progress.
        if let large = connection.large, connection.machine.isIdle || connection.count == 0,
           connection.count <= smallInputBytes {
            if connection.count > 0 {
                connection.small.baseAddress!.copyMemory(from: large.baseAddress!, byteCount: connection.count)
            }
            connection.large = nil
            largePool.giveBack(large)
            metrics.countLargeBuffer(taken: false)
        }
    }

    /// Frees space in a full input buffer. False when the connection was answered and closes.
    @inlinable
    func makeRoom(_ connection: ClientConnection) -> Bool {
        compact(connection)
        if connection.count < input(connection).count { return true }
        if connection.large == nil { return ensureLarge(connection) }
        // A request larger than the largest the limits allow: the parser refuses those first.
        answer(connection, HTTPResponse(status: 413, body: .constant("request too large\n"), closesConnection: true), forceClose: true)
        return false
    }

    /// Moves the input into a large buffer. False (after answering 503) when none is free.
    @inlinable
    func ensureLarge(_ connection: ClientConnection) -> Bool {
        if connection.large != nil { return true }
        guard let large = largePool.take() else {
            answer(connection, HTTPResponse(status: 503, body: .constant("too many large requests at once; retry shortly\n"), retryAfterSeconds: 1,
                                            closesConnection: true), forceClose: true)
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
}
