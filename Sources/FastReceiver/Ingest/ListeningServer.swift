public import FastReceiverTransport

/// The HTTP server a receiver runs: plain TCP, or TLS on every connection. An enum rather than
/// an existential, so that each server's workers are specialized for their transport.
public enum ListeningServer: Sendable {
    case plain(HTTPServer<EventIngestor, PlainTCPTransport>)
    case tls(HTTPServer<EventIngestor, TLSTransport>)

    /// The port listened on.
    public var port: Int {
        switch self {
        case .plain(let server): server.port
        case .tls(let server): server.port
        }
    }

    /// Begins a graceful shutdown.
    public func shutdown() {
        switch self {
        case .plain(let server): server.shutdown()
        case .tls(let server): server.shutdown()
        }
    }

    /// Blocks until every worker has finished.
    public func wait() {
        switch self {
        case .plain(let server): server.wait()
        case .tls(let server): server.wait()
        }
    }
}
