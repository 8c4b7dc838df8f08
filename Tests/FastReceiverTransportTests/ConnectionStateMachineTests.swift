import FastReceiverHTTP
import FastReceiverSystem
import Testing

@testable import FastReceiverTransport

/// A connection's state machine driven by hand, without sockets: real request bytes go through
/// its parser, and each transition's action and the resulting epoll interest are checked.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine<Int, Int>

    /// A machine with the default deadlines (header 10 s, body 30 s, idle 60 s, linger 2 s) and
    /// an input buffer it parses from.
    final class Harness {
        var machine: Machine
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        var count = 0

        init(maxPipelinedRequests: Int = 32, handshake: Bool = false, now: Int = 1_000) {
            var settings = ServerSettings()
            settings.maxPipelinedRequests = maxPipelinedRequests
            machine = Machine(limits: .init(settings: settings), httpLimits: settings.limits)
            machine.open(handshake: handshake, now: now, nowMicroseconds: now * 1000)
        }

        deinit { buffer.deallocate() }

        /// Appends `text` as if read from the socket, and tells the machine.
        @discardableResult
        func receive(_ text: String, now: Int) -> Machine.ReadAction {
            let bytes = Array(text.utf8)
            let action = machine.bytesRead(now: now, nowMicroseconds: now * 1000)
            if action == .parse {
                UnsafeMutableRawBufferPointer(rebasing: buffer[count...]).copyBytes(from: bytes)
                count += bytes.count
            }
            return action
        }

        func parse() -> HTTPParseEvent {
            machine.parser.parse(buffer, count: count)
        }

        /// Parses a head and hands the machine `decision` for it.
        func parseHead(_ decision: HeadDecision<Int>, now: Int) throws -> Machine.HeadAction {
            try #require(parse() == .head)
            return machine.headParsed(decision, buffer: buffer, count: count, now: now)
        }

        /// Parses a head without a body, accepts it, completes it and queues its answer.
        func answerNext(now: Int, keepAlive: Bool = true) throws -> Machine.AnswerAction {
            _ = try parseHead(.accept(1), now: now)
            try #require(parse() == .complete)
            return machine.answerQueued(keepAlive: keepAlive, count: count, now: now, nowMicroseconds: now * 1000)
        }
    }

    static let get = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
    static let postHead = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
    static let expectHead = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
    static let readable: EpollEvents = [.readable, .peerHalfClosed]
    static let refusal = HTTPResponse(status: 401, body: .constant("no\n"))

    /// For an action that reads a body, whether it sends `100 Continue` first; nil for others.
    func continueAsked(_ action: Machine.HeadAction) -> Bool? {
        if case .readBody(let sendContinue) = action { return sendContinue }
        return nil
    }

    /// For a refusal, its status and whether the connection closes; nil for other actions.
    func refusal(_ action: Machine.HeadAction) -> (status: Int, closes: Bool)? {
        if case .refuse(let response, let closes) = action { return (response.status, closes) }
        return nil
    }

    // MARK: bytes read, head parsed, answer ready

    @Test("A new connection waits for bytes; the first byte starts the header deadline, which ends in a 408")
    func headerDeadline() {
        let harness = Harness(now: 1_000)
        #expect(harness.machine.interest == Self.readable)
        #expect(harness.machine.deadlinePassed(now: 50_000, isDraining: false) == .none)
        #expect(harness.receive("GET / HT", now: 2_000) == .parse)
        #expect(harness.machine.requestStartedAt == 2_000_000)
        #expect(harness.parse() == .needMoreData)
        #expect(harness.machine.deadlinePassed(now: 12_000, isDraining: false) == .none)
        #expect(harness.machine.deadlinePassed(now: 12_001, isDraining: false) == .timeOut(.header))
        #expect(harness.machine.deadlinePassed(now: 12_001, isDraining: true) == .timeOut(.header), "draining finishes requests begun")
    }

    @Test("An accepted head with a body starts the body deadline; the complete request hands back its context")
    func bodyDeadlineAndCompletion() throws {
        let harness = Harness()
        harness.receive(Self.postHead + "ab", now: 2_000)
        #expect(continueAsked(try harness.parseHead(.accept(7), now: 2_000)) == false)
        #expect(harness.parse() == .needMoreData)
        #expect(harness.machine.deadlinePassed(now: 32_000, isDraining: false) == .none)
        #expect(harness.machine.deadlinePassed(now: 32_001, isDraining: false) == .timeOut(.body))
        harness.receive("cde", now: 3_000)
        #expect(harness.parse() == .complete)
        #expect(harness.machine.requestComplete() == 7)
        #expect(harness.machine.answerQueued(keepAlive: true, count: harness.count, now: 3_000, nowMicroseconds: 3_000_000) == .nextRequest)
        #expect(harness.machine.isIdle)
        #expect(harness.machine.answeredSinceFlush == 1)
    }

    @Test("A request whose answer closes the connection parses nothing more, sends, lingers, then closes")
    func answerThatClosesLingers() throws {
        let harness = Harness()
        harness.receive(Self.get + Self.get, now: 2_000)
        #expect(try harness.answerNext(now: 2_000, keepAlive: false) == .closeAfterFlush)
        #expect(harness.machine.parseGate(hasOutputRoom: true) == .stop)
        #expect(harness.machine.outputSent(blockedOn: nil, now: 2_100) == .linger)
        #expect(harness.machine.interest == Self.readable, "lingering drains input")
        #expect(harness.receive("more", now: 2_200) == .discard)
        #expect(harness.machine.deadlinePassed(now: 4_099, isDraining: false) == .none)
        #expect(harness.machine.deadlinePassed(now: 4_100, isDraining: false) == .close)
        #expect(harness.machine.outputSent(blockedOn: nil, now: 4_100) == .none, "lingers once")
    }

    @Test("Pipelined requests start one after another from buffered bytes until the cap, which sending the answers lifts")
    func pipeliningCap() throws {
        let harness = Harness(maxPipelinedRequests: 2)
        harness.receive(Self.get + Self.get + Self.get, now: 2_000)
        #expect(harness.machine.parseGate(hasOutputRoom: true) == .parse)
        #expect(try harness.answerNext(now: 2_000) == .nextRequest)
        #expect(!harness.machine.isIdle, "the next request's bytes are already here")
        #expect(harness.machine.deadlinePassed(now: 12_001, isDraining: false) == .timeOut(.header))
        #expect(harness.machine.parseGate(hasOutputRoom: true) == .parse)
        #expect(try harness.answerNext(now: 2_000) == .nextRequest)
        #expect(harness.machine.parseGate(hasOutputRoom: true) == .pipelineFull)
        #expect(harness.machine.outputSent(blockedOn: .writable, now: 2_000) == .none)
        #expect(harness.machine.parseGate(hasOutputRoom: true) == .parse, "the cap counts answers since the last send")
        #expect(!harness.machine.isReading, "but nothing is read while output waits")
        #expect(harness.machine.outputSent(blockedOn: nil, now: 2_000) == .none)
        #expect(harness.machine.parseGate(hasOutputRoom: false) == .pipelineFull, "a full output also stops parsing")
        #expect(try harness.answerNext(now: 2_000) == .nextRequest)
        #expect(harness.machine.isIdle)
    }

    // MARK: 100-continue and refusals

    @Test("100-continue is asked for once, after an accepted head whose body has not arrived")
    func continueOnlyAfterAcceptance() throws {
        let waiting = Harness()
        waiting.receive(Self.expectHead, now: 2_000)
        #expect(continueAsked(try waiting.parseHead(.accept(1), now: 2_000)) == true)
        #expect(waiting.parse() == .needMoreData, "the head is not reported again, so neither is the continue")
        waiting.receive("abcde", now: 2_100)
        #expect(waiting.parse() == .complete)

        let refused = Harness()
        refused.receive(Self.expectHead, now: 2_000)
        let refusedAction = try refused.parseHead(.refuse(Self.refusal), now: 2_000)
        #expect(continueAsked(refusedAction) == nil)
        #expect(refusal(refusedAction)?.closes == true)

        let arrived = Harness()
        arrived.receive(Self.expectHead + "abcde", now: 2_000)
        #expect(continueAsked(try arrived.parseHead(.accept(1), now: 2_000)) == false, "the body is here already")
    }

    @Test("A refused head is answered at once: with a body the connection closes without reading it, without one it goes on")
    func refusals() throws {
        let withBody = Harness()
        withBody.receive(Self.postHead, now: 2_000)
        let refused = refusal(try withBody.parseHead(.refuse(Self.refusal), now: 2_000))
        #expect(refused?.status == 401 && refused?.closes == true)
        #expect(withBody.machine.answerQueued(keepAlive: false, count: withBody.count, now: 2_000, nowMicroseconds: 0) == .closeAfterFlush)
        #expect(withBody.machine.parseGate(hasOutputRoom: true) == .stop)

        let withoutBody = Harness()
        withoutBody.receive(Self.get + Self.get, now: 2_000)
        let answered = refusal(try withoutBody.parseHead(.refuse(Self.refusal), now: 2_000))
        #expect(answered?.status == 401 && answered?.closes == false)
        #expect(withoutBody.machine.answerQueued(keepAlive: true, count: withoutBody.count, now: 2_000, nowMicroseconds: 0) == .nextRequest)
        #expect(try withoutBody.answerNext(now: 2_000) == .nextRequest, "the refused request was parsed to its end")
    }

    // MARK: storage

    @Test("An answer waiting on storage stops parsing but not reading and has no deadline; storage resolved starts the next request")
    func storageResolved() throws {
        let harness = Harness()
        harness.receive(Self.get + "GET", now: 2_000)
        _ = try harness.parseHead(.accept(1), now: 2_000)
        #expect(harness.parse() == .complete)
        harness.machine.awaitStorage(42)
        #expect(harness.machine.ticket == 42)
        #expect(harness.machine.parseGate(hasOutputRoom: true) == .stop)
        #expect(harness.machine.isReading)
        #expect(harness.receive(" /", now: 2_100) == .parse, "pipelined bytes are buffered meanwhile")
        #expect(harness.machine.deadlinePassed(now: 1_000_000, isDraining: true) == .none)
        #expect(harness.machine.answerQueued(keepAlive: true, count: harness.count, now: 3_000, nowMicroseconds: 0) == .nextRequest)
        #expect(harness.machine.ticket == nil)
        #expect(harness.machine.parseGate(hasOutputRoom: true) == .parse)
        #expect(harness.machine.deadlinePassed(now: 13_001, isDraining: false) == .timeOut(.header), "the buffered request's deadline runs")
    }

    @Test("A full input while waiting on storage pauses reading until the answer is queued")
    func fullInputWhileWaiting() throws {
        let harness = Harness()
        #expect(harness.machine.inputFull() == .makeRoom)
        harness.receive(Self.get, now: 2_000)
        _ = try harness.answerNext(now: 2_000)
        harness.receive(Self.get, now: 2_000)
        _ = try harness.parseHead(.accept(1), now: 2_000)
        #expect(harness.parse() == .complete)
        harness.machine.awaitStorage(5)
        #expect(harness.machine.inputFull() == .pauseReading)
        #expect(harness.machine.interestChange() == [])
        #expect(harness.machine.interestChange() == nil, "reported once")
        _ = harness.machine.answerQueued(keepAlive: true, count: harness.count, now: 3_000, nowMicroseconds: 0)
        #expect(harness.machine.interestChange() == Self.readable)
    }

    @Test("A half-close while waiting on storage keeps the connection for its answer, then closes without lingering")
    func halfCloseWhileWaiting() throws {
        let harness = Harness()
        harness.receive(Self.get, now: 2_000)
        _ = try harness.parseHead(.accept(1), now: 2_000)
        #expect(harness.parse() == .complete)
        harness.machine.awaitStorage(3)
        #expect(harness.machine.peerHalfClosed() == false)
        #expect(harness.machine.interest == [], "a half-closed socket stays readable; it is not watched")
        #expect(harness.machine.answerQueued(keepAlive: true, count: harness.count, now: 3_000, nowMicroseconds: 0) == .closeAfterFlush)
        #expect(harness.machine.outputSent(blockedOn: .writable, now: 3_000) == .none)
        #expect(harness.machine.outputSent(blockedOn: nil, now: 3_000) == .close)
    }

    @Test("A half-close with no answer owed closes at once")
    func halfCloseWhileIdle() {
        let harness = Harness()
        #expect(harness.machine.peerHalfClosed() == true)
        harness.receive("GET", now: 2_000)
        #expect(harness.machine.peerHalfClosed() == true)
    }

    @Test("Storage resolved after the peer left: closing hands back the ticket for the handler to abandon")
    func closeWhileWaiting() throws {
        let harness = Harness()
        harness.receive(Self.get, now: 2_000)
        _ = try harness.parseHead(.accept(1), now: 2_000)
        #expect(harness.parse() == .complete)
        harness.machine.awaitStorage(9)
        #expect(harness.machine.close() == 9)
        #expect(!harness.machine.isOpen)
        #expect(harness.machine.ticket == nil, "nothing is left to resolve")
        #expect(harness.machine.close() == nil)
        #expect(harness.machine.interestChange() == nil, "a closed socket is not registered")
        #expect(harness.machine.parseGate(hasOutputRoom: true) == .stop)
    }

    // MARK: output and deadlines

    @Test("Blocked output is waited for alone, and reading resumes once it drains")
    func writeBlocked() {
        let harness = Harness()
        #expect(harness.machine.outputSent(blockedOn: .writable, now: 2_000) == .none)
        #expect(harness.machine.interestChange() == .writable)
        #expect(!harness.machine.isReading)
        #expect(harness.machine.outputSent(blockedOn: nil, now: 2_100) == .none)
        #expect(harness.machine.interestChange() == Self.readable)
        #expect(harness.machine.isReading)
    }

    @Test("A request deadline with blocked output closes without a 408, which could not be sent")
    func deadlineWhileWriteBlocked() {
        let harness = Harness()
        harness.receive("GET", now: 2_000)
        _ = harness.machine.outputSent(blockedOn: .writable, now: 2_000)
        #expect(harness.machine.deadlinePassed(now: 12_001, isDraining: false) == .close)
    }

    @Test("A last answer that cannot be sent is cut at its request's deadline")
    func closingDeadline() {
        let harness = Harness()
        harness.receive("GET / HTTP/1.1\r\nHost", now: 2_000)
        #expect(harness.machine.answerQueued(keepAlive: false, count: harness.count, now: 2_500, nowMicroseconds: 0) == .closeAfterFlush)
        _ = harness.machine.outputSent(blockedOn: .writable, now: 2_500)
        #expect(harness.machine.deadlinePassed(now: 12_000, isDraining: false) == .none)
        #expect(harness.machine.deadlinePassed(now: 12_001, isDraining: false) == .close)
    }

    @Test("Idle connections close after the idle timeout, and when draining at once unless output waits")
    func idleAndDraining() {
        let harness = Harness(now: 1_000)
        #expect(harness.machine.deadlinePassed(now: 61_000, isDraining: false) == .none)
        #expect(harness.machine.deadlinePassed(now: 61_001, isDraining: false) == .close)
        #expect(harness.machine.deadlinePassed(now: 1_001, isDraining: true) == .close)
        _ = harness.machine.outputSent(blockedOn: .writable, now: 1_000)
        #expect(harness.machine.deadlinePassed(now: 1_001, isDraining: true) == .none, "answers still going out are finished")
        #expect(harness.machine.deadlinePassed(now: 61_001, isDraining: true) == .close)
    }

    // MARK: transports that need more than plain TCP

    @Test("A handshake runs under the first request's header deadline, waits for what it asks, and is followed by a read")
    func handshake() {
        let harness = Harness(handshake: true, now: 0)
        #expect(harness.machine.parseGate(hasOutputRoom: true) == .stop)
        #expect(harness.machine.handshakeProgressed(.wouldBlock(.writable)) == .wait)
        #expect(harness.machine.interestChange() == .writable)
        #expect(harness.machine.deadlinePassed(now: 10_001, isDraining: false) == .close, "no 408 before TLS is up")
        #expect(harness.machine.handshakeProgressed(.done) == .read)
        #expect(harness.machine.interestChange() == Self.readable)
        #expect(harness.machine.parseGate(hasOutputRoom: true) == .parse)
        #expect(harness.machine.deadlinePassed(now: 10_000, isDraining: false) == .none)
        #expect(harness.machine.deadlinePassed(now: 10_001, isDraining: false) == .timeOut(.header), "the header deadline ran from the start")

        let failing = Harness(handshake: true, now: 0)
        #expect(failing.machine.handshakeProgressed(.failed) == .close)
    }

    @Test("A read that needs the socket writable, and a write that needs it readable, are waited for")
    func crossedReadiness() {
        let harness = Harness()
        harness.machine.readWouldBlock(on: .writable)
        #expect(harness.machine.interestChange() == .writable)
        harness.receive("G", now: 2_000)
        #expect(harness.machine.interestChange() == Self.readable)
        _ = harness.machine.outputSent(blockedOn: .readable, now: 2_000)
        #expect(!harness.machine.isReading, "a readable socket goes to the write first")
        #expect(harness.machine.interestChange() == nil, "the same events, now for the write")
        #expect(TransportReadiness.readable.isReported(in: .hangUp))
        #expect(TransportReadiness.writable.isReported(in: .error))
        #expect(!TransportReadiness.writable.isReported(in: .readable))
    }

    @Test("Reopening a slot forgets the previous connection, its half-parsed request included")
    func reopen() throws {
        let harness = Harness()
        harness.receive("POST / HTTP/1.1\r\nHo", now: 2_000)
        _ = harness.parse()
        _ = harness.machine.outputSent(blockedOn: .writable, now: 2_000)
        _ = harness.machine.close()
        harness.machine.open(handshake: false, now: 5_000, nowMicroseconds: 0)
        #expect(harness.machine.registeredInterest == Self.readable)
        #expect(harness.machine.isIdle && harness.machine.isReading && harness.machine.answeredSinceFlush == 0)
        harness.count = 0
        harness.receive(Self.get, now: 5_000)
        #expect(try harness.answerNext(now: 5_000) == .nextRequest)
    }
}
