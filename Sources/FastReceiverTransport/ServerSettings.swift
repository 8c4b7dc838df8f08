public import FastReceiverHTTP

/// Everything the transport runs with: where it listens, how many workers, the request limits,
/// the deadlines and the buffer sizes. Every field states its unit and default.
public struct ServerSettings: Sendable {
    /// Where to listen: an IPv4 or IPv6 address. Default `0.0.0.0`.
    public var host = "0.0.0.0"
    /// TCP port; 0 picks a free one (tests). Default 8080.
    public var port = 8080
    /// Worker threads, each with its own listener, epoll loop, connections and buffers. Default 1.
    public var workers = 1
    /// Pending connections the kernel queues per listener. Default 4096.
    public var listenBacklog = 4096
    /// Header, header-count and body size limits.
    public var limits = HTTPLimits()
    /// Milliseconds from a request's first byte to the end of its headers. Default 10 000.
    public var headerTimeoutMilliseconds = 10_000
    /// Milliseconds from the end of the headers to the end of the body. Default 30 000.
    public var bodyTimeoutMilliseconds = 30_000
    /// Milliseconds a keep-alive connection may sit idle between requests. Default 60 000.
    public var idleTimeoutMilliseconds = 60_000
    /// Open connections across all workers; more wait in the listen backlog. Default 10 000.
    public var maxConnections = 10_000
    /// Requests read on one connection but not yet answered; reading pauses at the cap. Default 32.
    public var maxPipelinedRequests = 32
    /// Milliseconds a graceful shutdown may take before remaining connections are cut. Default 25 000.
    public var shutdownGraceMilliseconds = 25_000
    /// Output bytes per connection: room for a burst of pipelined answers. Default 64 KiB.
    public var outputBytes = 64 * 1024
    /// Large input buffers per worker, for requests that outgrow the small one. Default 8.
    public var largeBuffersPerWorker = 8

    public init() {}

    /// Input bytes per connection before a request needs a large buffer: a whole head and some
    /// body, at least 32 KiB.
    public var smallInputBytes: Int { max(32 * 1024, limits.maxHeaderBytes + 4096) }
}
