import CLinux
import Foundation
import Glibc
import Logging

/// The ingestion server: one listener, epoll loop and thread per worker, a signal thread that
/// turns SIGTERM/SIGINT into a graceful drain.
///
/// Generic over the request handler so each worker calls its own handler without boxing.
public final class HTTPServer<Handler: RequestHandler>: @unchecked Sendable {
    // @unchecked Sendable: workers are handed to their threads once; after `start()` the
    // server object itself is only read (ports) or asked to stop (eventfd writes).

    public let configuration: ServerConfiguration
    public let status: ServiceStatus
    private var workers: [Worker<Handler>] = []
    private var threads: [Thread] = []
    private let finished = DispatchGroup()
    /// The port actually listened on (differs from the configuration's when it asked for 0).
    public private(set) var port: Int = 0

    /// Opens every worker's listener and builds its handler.
    /// - Parameters:
    ///   - wakeSignals: one per worker (`configuration.threads`), rung to wake its loop;
    ///     made here when not given.
    ///   - makeHandler: called once per worker, on the calling thread, with the worker index.
    /// - Throws: `ConfigurationError` when the address cannot be used; `SystemError` otherwise.
    public init(configuration: ServerConfiguration, status: ServiceStatus = ServiceStatus(), wakeSignals: [WakeSignal]? = nil,
                budget: ConnectionBudget? = nil, metrics: [WorkerMetrics]? = nil, logger: Logger = Logger(label: "fast-receiver"),
                makeHandler: (Int) throws -> Handler) throws {
        self.configuration = configuration
        self.status = status
        _ = fr_raise_nofile_limit()
        try ListeningSocket.ensureAvailable(host: configuration.host, port: configuration.port)
        let budget = budget ?? ConnectionBudget(limit: configuration.maxConnections)
        let smallInput = max(32 * 1024, configuration.limits.maxHeaderBytes + 4096)
        let settings = Worker<Handler>.Settings(
            limits: configuration.limits,
            headerTimeout: configuration.headerTimeoutMilliseconds,
            bodyTimeout: configuration.bodyTimeoutMilliseconds,
            idleTimeout: configuration.idleTimeoutMilliseconds,
            maxPipelined: configuration.maxPipelinedRequests,
            shutdownGrace: configuration.shutdownGraceMilliseconds,
            smallInputBytes: smallInput,
            outputBytes: 64 * 1024,
            largeBuffers: 8,
            logger: logger
        )
        var port = configuration.port
        let threads = max(configuration.threads, 1)
        let signals = try wakeSignals ?? (0..<threads).map { _ in try WakeSignal() }
        precondition(signals.count >= threads, "one wake signal per worker")
        for index in 0..<threads {
            let listener = try ListeningSocket.open(host: configuration.host, port: port, reusePort: true, backlog: configuration.listenBacklog)
            if port == 0 { port = ListeningSocket.localPort(listener) }
            do {
                let worker = try Worker(index: index, listener: listener, wake: signals[index],
                                        metrics: metrics.map { $0[index] } ?? WorkerMetrics(), settings: settings, handler: makeHandler(index),
                                        budget: budget, status: status, maxConnections: configuration.maxConnections)
                workers.append(worker)
            } catch {
                close(listener)
                throw error
            }
        }
        self.port = port
    }

    /// Starts the worker threads.
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
        status.beginDraining()
        for worker in workers { worker.wakeUp() }
    }

    /// Blocks until every worker has finished.
    public func wait() {
        finished.wait()
    }

    /// Blocks until every worker has finished or `seconds` pass; true when they finished.
    public func wait(seconds: Double) -> Bool {
        finished.wait(timeout: .now() + seconds) == .success
    }
}
