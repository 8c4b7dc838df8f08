internal import Synchronization

/// The secrets currently accepted, replaceable while serving (SIGHUP re-reads the secret file).
///
/// Workers check `generation` — one relaxed atomic load — per request and rebuild their own
/// verifier only when it changed, so a reload never takes a lock on the request path.
public final class SecretStore: Sendable {
    private let secrets: Mutex<[SignatureSecret]>
    private let counter = Atomic<Int>(0)

    public init(_ secrets: [SignatureSecret]) {
        precondition(!secrets.isEmpty, "at least one secret")
        self.secrets = Mutex(secrets)
    }

    /// Increases with every replacement.
    public var generation: Int { counter.load(ordering: .acquiring) }

    /// The secrets now, current first.
    public var current: [SignatureSecret] { secrets.withLock { $0 } }

    /// Replaces the secrets; later requests verify against the new set.
    public func replace(with newSecrets: [SignatureSecret]) {
        precondition(!newSecrets.isEmpty, "at least one secret")
        secrets.withLock { $0 = newSecrets }
        counter.wrappingAdd(1, ordering: .releasing)
    }
}
