internal import FastReceiverSystem
internal import Foundation
internal import Synchronization

/// The requests of a load run: each a complete HTTP/1.1 `POST` carrying a distinct DT-signed event.
///
/// Signing an event costs a few microseconds — more than sending it — so that signing never limits
/// the rate, up to `LoadPlan.poolLimit` events are signed before the clock starts. A run that needs
/// more gets fresh events from a background thread that keeps signing while the run goes on. Only
/// if that thread falls behind does the generator resend an event from the pool: the receiver then
/// answers from its dedupe index (a redelivery, a different measurement), so every such request is
/// counted in `redelivered` and shown in the report.
///
/// `next()` is called by the generator's thread only; the background thread hands over batches
/// through a `Mutex`.
public final class SignedRequestSupply {
    /// How many requests were handed out more than once because signing fell behind.
    public private(set) var redelivered = 0
    /// Seconds spent signing the pool before the run.
    public let poolSigningSeconds: Double
    /// The pool, signed up front; kept whole so that a redelivery can resend any of it.
    private let pool: [[UInt8]]
    private var poolIndex = 0
    /// Fresh requests taken from the background signer, and the next one to hand out.
    private var batch: [[UInt8]] = []
    private var batchIndex = 0
    private let refill: Refill?

    /// Signs the pool and, if the plan may need more requests than it holds, starts the background signer.
    /// - Parameters:
    ///   - factory: signs with the secret the receiver should verify (or deliberately another).
    ///   - endpoint: where the requests go (their request target and `Host`).
    ///   - types: the event types to cycle through.
    ///   - plan: decides the pool's size: its planned requests, at most its `poolLimit`.
    /// - Throws: `CryptoError` when OpenSSL cannot sign.
    public init(factory: DTEventFactory, endpoint: HTTPClientConnection.Endpoint, types: [DTEventFactory.EventType], plan: LoadPlan) throws {
        precondition(!types.isEmpty, "at least one event type")
        let maker = RequestMaker(factory: factory, endpoint: endpoint, types: types)
        let poolSize = min(plan.plannedRequests ?? plan.poolLimit, plan.poolLimit)
        let started = MonotonicClock.nanoseconds()
        let signer = try DTEventSigner(factory: factory)
        var pool: [[UInt8]] = []
        pool.reserveCapacity(poolSize)
        for index in 0..<poolSize { pool.append(try maker.request(index, signer: signer)) }
        self.pool = pool
        poolSigningSeconds = Double(MonotonicClock.nanoseconds() - started) / 1e9
        let remaining = plan.plannedRequests.map { $0 - poolSize }
        if remaining.map({ $0 > 0 }) ?? true {
            refill = Refill(maker: maker, firstIndex: poolSize, count: remaining)
        } else {
            refill = nil
        }
    }

    deinit { refill?.stop() }

    /// How many distinct events were signed before the run.
    public var poolCount: Int { pool.count }

    /// The next request's bytes: from the pool, then from the background signer, else a redelivery.
    public func next() -> [UInt8] {
        if poolIndex < pool.count {
            poolIndex += 1
            return pool[poolIndex - 1]
        }
        if batchIndex == batch.count, let refill {
            batch = refill.take()
            batchIndex = 0
        }
        if batchIndex < batch.count {
            batchIndex += 1
            return batch[batchIndex - 1]
        }
        redelivered += 1
        return pool[(redelivered - 1) % pool.count]
    }

    /// Stops the background signer (the run is over).
    public func finish() {
        refill?.stop()
    }
}

/// Builds request number *k*: its event type, device and HTTP bytes.
private struct RequestMaker: Sendable {
    let factory: DTEventFactory
    let types: [DTEventFactory.EventType]
    /// Everything of the head before the signature, and the header line that follows it.
    let headStart: String
    let headEnd = "\r\nContent-Length: "

    init(factory: DTEventFactory, endpoint: HTTPClientConnection.Endpoint, types: [DTEventFactory.EventType]) {
        self.factory = factory
        self.types = types
        headStart = "POST \(endpoint.path) HTTP/1.1\r\nHost: \(endpoint.host):\(endpoint.port)\r\nContent-Type: application/json\r\nX-Dt-Signature: "
    }

    func request(_ index: Int, signer: DTEventSigner) throws -> [UInt8] {
        let event = try signer.request(type: types[index % types.count], device: index % 64)
        var bytes = Array((headStart + event.signature + headEnd + String(event.body.count) + "\r\n\r\n").utf8)
        bytes.append(contentsOf: event.body)
        return bytes
    }
}

/// The background signer: fills a bounded buffer with fresh requests until it has made `count`
/// (or, with no count, until stopped).
private final class Refill: Sendable {
    /// Signed requests waiting to be taken; the signer pauses while it holds `capacity`.
    private let ready = Mutex<[[UInt8]]>([])
    private let stopped = Atomic<Bool>(false)
    private let capacity = 16_384
    private let batchSize = 256

    init(maker: RequestMaker, firstIndex: Int, count: Int?) {
        let thread = Thread { [self] in self.sign(maker: maker, firstIndex: firstIndex, count: count) }
        thread.name = "load-signer"
        thread.start()
    }

    func take() -> [[UInt8]] {
        ready.withLock { ready in
            defer { ready = [] }
            return ready
        }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }

    private func sign(maker: RequestMaker, firstIndex: Int, count: Int?) {
        guard let signer = try? DTEventSigner(factory: maker.factory) else { return }
        var index = firstIndex
        let end = count.map { firstIndex + $0 } ?? Int.max
        while index < end, !stopped.load(ordering: .relaxed) {
            if ready.withLock({ $0.count }) >= capacity {
                usleep(1_000)
                continue
            }
            var made: [[UInt8]] = []
            made.reserveCapacity(batchSize)
            while made.count < batchSize, index < end, let request = try? maker.request(index, signer: signer) {
                made.append(request)
                index += 1
            }
            if made.isEmpty { return }
            ready.withLock { $0.append(contentsOf: made) }
        }
    }
}
