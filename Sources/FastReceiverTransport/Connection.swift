public import FastReceiverHTTP

/// One client connection, owned by one worker. Slots are pooled: a `Connection` object and its
/// parser are made once and reused for every connection that lands in the slot, so accepting
/// a connection allocates nothing once the pool is warm.
///
/// Generic over the handler's per-request context, which it keeps from the head to the answer,
/// and over what an answer waits on.
@usableFromInline
final class Connection<Context, Ticket> {
    // Owned by one worker thread; see `Worker` for why accesses are not checked at run time.
    /// Where the connection is in its current request, for deadlines.
    @usableFromInline
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

    @exclusivity(unchecked) @usableFromInline var descriptor: Int32 = -1
    /// This connection's index in its worker's slot table (fixed for the object's life).
    @exclusivity(unchecked) @usableFromInline var slot: Int32 = 0
    /// Changes every time the slot is reused, so a stale epoll event is recognised.
    @exclusivity(unchecked) @usableFromInline var generation: UInt32 = 0
    @exclusivity(unchecked) @usableFromInline var parser: HTTPRequestParser
    /// Input and output space from the worker's small-buffer pool.
    @exclusivity(unchecked) @usableFromInline var small = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// A large input buffer, while a request needs one.
    @exclusivity(unchecked) @usableFromInline var large: UnsafeMutableRawBufferPointer?
    /// Bytes of input held.
    @exclusivity(unchecked) @usableFromInline var count = 0
    /// Bytes of output waiting to be sent.
    @exclusivity(unchecked) @usableFromInline var outputCount = 0
    @exclusivity(unchecked) @usableFromInline var phase = Phase.idle
    @exclusivity(unchecked) @usableFromInline var lastActivity = 0
    /// When the current request's first byte arrived (monotonic microseconds).
    @exclusivity(unchecked) @usableFromInline var requestStartedAt = 0
    /// Close once the output is sent.
    @exclusivity(unchecked) @usableFromInline var closeAfterFlush = false
    /// Output is waiting for the socket to accept more; reading is paused.
    @exclusivity(unchecked) @usableFromInline var isWriteBlocked = false
    /// Requests answered since the last flush, for the pipelining cap.
    @exclusivity(unchecked) @usableFromInline var answeredSinceFlush = 0
    /// What this connection's current answer waits on.
    @exclusivity(unchecked) @usableFromInline var waitingTicket: Ticket?
    /// Reading is paused because the input is full while an answer waits.
    @exclusivity(unchecked) @usableFromInline var isReadPaused = false
    /// What the handler decided from the current request's head, until the request is complete.
    @exclusivity(unchecked) @usableFromInline var decision: HeadDecision<Context>?
    /// The client half-closed while its answer waited; close as soon as it is sent.
    @exclusivity(unchecked) @usableFromInline var peerClosed = false

    @usableFromInline
    init(limits: HTTPLimits) {
        parser = HTTPRequestParser(limits: limits)
    }

    @inlinable
    var isOpen: Bool { descriptor >= 0 }
}
