public import FastReceiverSystem
public import Foundation
internal import Glibc
public import Logging

/// The HTTP/1.1 server: one `SO_REUSEPORT` listener, epoll loop and thread per worker, each
/// calling its own request handler. `shutdown()` drains it gracefully.
///
/// Generic over the request handler and the byte transport (plain TCP, or TLS over it), so each
/// worker calls both directly, without boxing.
public final class HTTPServer<Handler: RequestHandler, Transport: ByteTransport>: @unchecked Sendable {
    // @unchecked Sendable: workers are handed to their threads once; after `start()` the
    // server object itself is only read (ports) or asked to stop (eventfd writes).

    public let settings: ServerSettings
    /// Begun by `shutdown()`; handlers may read it to refuse new work while draining.
    public let drain: DrainState
    @usableFromInline var workers: [Worker<Handler, Transport>] = []
    @usableFromInline var threads: [Thread] = []
    @usableFromInline let finished = DispatchGroup()
    /// The port actually listened on (differs from the settings' when they asked for 0).
    public private(set) var port: Int = 0

    /// Opens every worker's listener and builds its handler.
    /// - Parameters:
    ///   - drain: the drain state the handlers were given; made here when not given.
    ///   - wakeSignals: one per worker (`settings.workers`), rung to wake its loop (and to tell
    ///     it a waiting answer may be ready); made here when not given.
    ///   - budget: the connection count shared by all workers; made here when not given.
    ///   - metrics: one per worker; made here when not given.
    ///   - transport: what each connection's transport is made from.
    ///   - makeHandler: called once per worker, on the calling thread, with the worker index.
    /// - Throws: `ListenerError` when the address cannot be used; `SystemError` otherwise; and
    ///   whatever `makeHandler` throws.
    public init(settings: ServerSettings, drain: DrainState = DrainState(), wakeSignals: [WakeSignal]? = nil,
                budget: ConnectionBudget? = nil, metrics: [WorkerMetrics]? = nil, logger: Logger = Logger(label: "fast-receiver"),
                transport: Transport.Settings, makeHandler: (Int) throws -> Handler) throws {
        self.settings = settings
        self.drain = drain
        ProcessResources.raiseOpenFileLimit()
        try ListeningSocket.ensureAvailable(host: settings.host, port: settings.port)
        let budget = budget ?? ConnectionBudget(limit: settings.maxConnections)
        var port = settings.port
        let count = max(settings.workers, 1)
        let signals = try wakeSignals ?? (0..<count).map { _ in try WakeSignal() }
        precondition(signals.count >= count, "one wake signal per worker")
        for index in 0..<count {
            let listener = try ListeningSocket.open(host: settings.host, port: port, reusePort: true, backlog: settings.listenBacklog)
            if port == 0 { port = ListeningSocket.localPort(listener) }
            do {
                let worker = try Worker<Handler, Transport>(
                    index: index, listener: listener, wake: signals[index], metrics: metrics.map { $0[index] } ?? WorkerMetrics(),
                    settings: settings, transport: transport, logger: logger, handler: makeHandler(index), budget: budget, drain: drain)
                workers.append(worker)
            } catch {
                close(listener)
                throw error
            }
        }
        self.port = port
    }

    /// Starts the worker threads.
    ///
    /// Inlinable so that the worker loop is specialized for the concrete handler where the server
    /// is made, and calls it directly.
    @inlinable
    public func start() {
        for worker in workers {
            finished.enter()
            let thread = Thread { [finished] in
                worker.run()
                finished.leave()
            }
            thread.name = "fast-receiver-\(worker.index)"
            thread.stackSize = 1 << 20
            threads.append(thread)
            thread.start()
        }
    }

    /// Begins a graceful shutdown: listeners close, requests being read are answered with
    /// `Connection: close`, idle connections close.
    public func shutdown() {
        drain.begin()
        for worker in workers { worker.wakeUp() }
    }

    /// Blocks until every worker has finished.
    public func wait() {
        finished.wait()
    }
}
