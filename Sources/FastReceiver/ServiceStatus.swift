public import FastReceiverStorage
public import FastReceiverTransport

/// What the receiver reports about itself: draining for shutdown (the transport's state) and
/// whether storage can take events (the journal's).
public final class ServiceStatus: Sendable {
    /// Begun when a shutdown starts.
    public let drain: DrainState
    /// Failed while any worker's journal cannot take events.
    public let storage: StorageHealth

    public init(drain: DrainState = DrainState(), storage: StorageHealth = StorageHealth()) {
        self.drain = drain
        self.storage = storage
    }

    /// True once a shutdown has begun: `/readyz` answers 503, new events are refused with 503.
    public var isDraining: Bool { drain.isDraining }

    /// Whether `/readyz` should answer 200: not draining, and storage can take events.
    public var isReady: Bool { !drain.isDraining && !storage.isFailed }
}
