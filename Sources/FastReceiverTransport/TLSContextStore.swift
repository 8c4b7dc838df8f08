public import FastReceiverCrypto
internal import Synchronization

/// The TLS context new connections are made from, replaceable while the server runs.
///
/// A reload swaps in a context built from the new certificate files; each connection keeps the
/// context it was made from (a `TLSConnection` retains it), so open connections are untouched.
/// Read once per accepted connection, never per request.
public final class TLSContextStore: Sendable {
    private let context: Mutex<TLSServerContext>
    private let failures = Atomic<Int>(0)

    /// - Parameter context: the context to serve until the first replacement.
    public init(_ context: TLSServerContext) {
        self.context = Mutex(context)
    }

    /// The context a connection accepted now is made from.
    public var current: TLSServerContext { context.withLock { $0 } }

    /// Serves `newContext` to every connection accepted from now on.
    public func replace(with newContext: TLSServerContext) {
        context.withLock { $0 = newContext }
    }

    /// Counts a reload whose files could not replace the current context.
    public func countReloadFailure() {
        failures.wrappingAdd(1, ordering: .relaxed)
    }

    /// Reloads that failed since start, for a metric.
    public var reloadFailures: Int { failures.load(ordering: .relaxed) }
}
