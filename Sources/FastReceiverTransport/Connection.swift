internal import FastReceiverHTTP

/// One client connection, owned by one worker. Slots are pooled: a `Connection` object and its
/// parser are made once and reused for every connection that lands in the slot, so accepting
/// a connection allocates nothing once the pool is warm.
///
/// Generic over the handler's per-request context, which it keeps from the head to the answer,
/// and over what an answer waits on.
final class Connection<Context, Ticket> {
    /// Where the connection is in its current request, for deadlines.
    enum Phase: Equatable {
        /// No request bytes buffered; the idle keep-alive timer runs from `lastActivity`.
        case idle
        /// A request has begun; its headers must be complete by `since + header timeout`.
        case head(since: Int)
        /// Headers are complete; the body must be complete by `since + body timeout`.
        case body(since: Int)
        /// The request is complete and its answer waits on the handler's ticket.
        case awaitingStorage
        /// The final response is out; unread input is drained until the peer closes or the
        /// deadline passes, so the client reads the response instead of a reset.
        case lingering(until: Int)
    }

    var descriptor: Int32 = -1
    /// This connection's index in its worker's slot table (fixed for the object's life).
    var slot: Int32 = 0
    /// Changes every time the slot is reused, so a stale epoll event is recognised.
    var generation: UInt32 = 0
    var parser: HTTPRequestParser
    /// Input and output space from the worker's small-buffer pool.
    var small = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// A large input buffer, while a request needs one.
    var large: UnsafeMutableRawBufferPointer?
    /// Bytes of input held.
    var count = 0
    /// Bytes of output waiting to be sent.
    var outputCount = 0
    var phase = Phase.idle
    var lastActivity = 0
    /// When the current request's first byte arrived (monotonic microseconds).
    var requestStartedAt = 0
    /// Close once the output is sent.
    var closeAfterFlush = false
    /// Output is waiting for the socket to accept more; reading is paused.
    var isWriteBlocked = false
    /// Requests answered since the last flush, for the pipelining cap.
    var answeredSinceFlush = 0
    /// What this connection's current answer waits on.
    var waitingTicket: Ticket?
    /// Reading is paused because the input is full while an answer waits.
    var isReadPaused = false
    /// What the handler decided from the current request's head, until the request is complete.
    var decision: HeadDecision<Context>?
    /// The client half-closed while its answer waited; close as soon as it is sent.
    var peerClosed = false

    init(limits: HTTPLimits) {
        parser = HTTPRequestParser(limits: limits)
    }

    var isOpen: Bool { descriptor >= 0 }
}
