/// What a load run sends, how fast, and when it stops.
///
/// Open loop (`rate` set): request *k* is due at start + *k* / `rate`, whatever the server is
/// doing, and its latency is measured from that due time, so time a request spends waiting for
/// a free connection (because the server is slow to answer) counts against the server rather
/// than disappearing (coordinated omission). Closed loop (`rate` nil): each connection sends its
/// next request as soon as the previous answer arrives, and latency runs from the send.
///
/// The run stops at whichever of `count` and `duration` comes first; at least one is needed.
public struct LoadPlan: Sendable, Equatable {
    /// Requests per second, scheduled by the clock; nil for a closed loop. No default.
    public var rate: Double?
    /// Keep-alive connections, each carrying one request at a time. Default 1.
    public var connections: Int
    /// The most requests to send; nil for no limit.
    public var count: Int?
    /// Seconds during which requests are sent (open loop: scheduled); nil for no limit.
    public var duration: Double?
    /// Seconds without any answer, while requests are outstanding, after which the run stops and
    /// reports them as timed out; default 10 (DT's own limit). Also bounds the wait for the last
    /// answers once every request is sent.
    public var answerTimeout: Double
    /// The most distinct events signed before the clock starts; default 200 000 (about 1.3 KB each).
    public var poolLimit: Int
    /// Milliseconds to wait before reconnecting a connection whose connect failed; default 100.
    public var reconnectDelayMilliseconds: Int

    /// - Throws: `ClientError` when the plan has no end or a value out of range.
    public init(rate: Double? = nil, connections: Int = 1, count: Int? = nil, duration: Double? = nil,
                answerTimeout: Double = 10, poolLimit: Int = 200_000, reconnectDelayMilliseconds: Int = 100) throws(ClientError) {
        if let rate, !(rate > 0 && rate.isFinite) { throw ClientError("The rate must be a positive number of requests per second.") }
        guard connections >= 1 else { throw ClientError("A load run needs at least one connection.") }
        if let count, count < 1 { throw ClientError("The request count must be at least 1.") }
        if let duration, !(duration > 0 && duration.isFinite) { throw ClientError("The duration must be a positive number of seconds.") }
        guard count != nil || duration != nil else { throw ClientError("A load run needs a request count, a duration, or both.") }
        guard answerTimeout >= 0, poolLimit >= 1, reconnectDelayMilliseconds >= 0 else {
            throw ClientError("The answer timeout, pool limit and reconnect delay must not be negative.")
        }
        self.rate = rate
        self.connections = connections
        self.count = count
        self.duration = duration
        self.answerTimeout = answerTimeout
        self.poolLimit = poolLimit
        self.reconnectDelayMilliseconds = reconnectDelayMilliseconds
    }

    public var isOpenLoop: Bool { rate != nil }

    /// How many requests the run will send, when that is known before it starts: `count`, or in an
    /// open loop the requests scheduled within `duration`, whichever is fewer.
    public var plannedRequests: Int? {
        guard let rate, let duration else { return count }
        let scheduled = max(Int((rate * duration).rounded(.up)), 1)
        return min(count ?? scheduled, scheduled)
    }
}
