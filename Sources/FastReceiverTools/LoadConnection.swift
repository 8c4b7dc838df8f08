internal import FastReceiverCrypto

/// One keep-alive connection of a load run and the request it carries, if any. Owned by the
/// generator's loop; at most one request per connection is outstanding (no pipelining, as DT).
struct LoadConnection {
    enum State: Equatable {
        /// No socket. The loop may open one from `reconnectAt` (monotonic nanoseconds) on.
        case closed(reconnectAt: UInt64)
        /// A non-blocking connect is under way, then (for https) the TLS handshake.
        case connecting
        /// Connected, with no request.
        case idle
        /// Connected, with a request being written or awaiting its answer.
        case busy
    }

    var state = State.closed(reconnectAt: 0)
    var descriptor: Int32 = -1
    /// The TLS connection over the socket, for https, from the end of the TCP connect.
    var tls: TLSConnection?
    /// Counts the sockets this connection has had, so events still queued for a closed one are ignored.
    var generation: UInt32 = 0
    /// Whether a request is attached: being connected for, written, or awaiting its answer.
    var hasRequest = false
    /// The request's bytes until they are all written; empty after.
    var request: [UInt8] = []
    var written = 0
    /// Where the request's latency is measured from (monotonic nanoseconds).
    var latencyOrigin: UInt64 = 0
    /// Whether epoll reports writability for this socket (only while connecting or a write is blocked).
    var isWatchingWritable = false
    var scanner = HTTPResponseScanner()

    var isRequestUnwritten: Bool { written < request.count }
}
