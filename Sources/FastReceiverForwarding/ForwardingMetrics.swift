public import FastReceiverMetrics
public import FastReceiverPostgres
internal import FastReceiverSystem
internal import Synchronization

/// What the forwarder counts, written by its thread only, and what it reports about where it
/// stands, read by any thread at scrape time.
public final class ForwardingMetrics: Sendable {
    private static let insertedIndex = 0
    private static let duplicateIndex = 1
    private static let rejectedIndex = 2
    private static let errorBase = 3
    private static let errorKinds = PostgresError.Kind.allCases

    /// Delay bounds from 1 ms to one hour, in microseconds: an event normally lands well
    /// within a second; during an outage it waits as long as the outage.
    static let delayBounds: [Int64] = [1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
                                       5_000_000, 10_000_000, 30_000_000, 60_000_000, 300_000_000, 900_000_000, 3_600_000_000]

    private let block: CounterBlock
    /// Wall time of each batch's transaction, in microseconds.
    let batchDuration: FixedHistogram
    /// Per event, from its receipt (the 200) to its row's commit, in microseconds.
    let delay: FixedHistogram
    private let connected = Atomic<Bool>(false)
    /// -1 while unknown.
    private let pending = Atomic<Int>(-1)
    /// 0 when nothing is pending.
    private let oldestPending = Atomic<Int64>(0)

    public init() {
        let batchSlots = FixedHistogram.slots(FixedHistogram.microsecondBounds)
        let countSlots = Self.errorBase + Self.errorKinds.count
        block = CounterBlock(count: countSlots + batchSlots + FixedHistogram.slots(Self.delayBounds))
        batchDuration = FixedHistogram(bounds: FixedHistogram.microsecondBounds, block: block, offset: countSlots)
        delay = FixedHistogram(bounds: Self.delayBounds, block: block, offset: countSlots + batchSlots)
    }

    func count(_ outcome: BatchWriter.Outcome) {
        block.add(Self.insertedIndex, Int64(outcome.inserted))
        block.add(Self.duplicateIndex, Int64(outcome.duplicates))
        block.add(Self.rejectedIndex, Int64(outcome.rejected))
    }

    func countError(_ kind: PostgresError.Kind) {
        block.add(Self.errorBase + (Self.errorKinds.firstIndex(of: kind) ?? 0))
    }

    func setConnected(_ isConnected: Bool) { connected.store(isConnected, ordering: .relaxed) }

    func setPending(_ events: Int?, oldestMilliseconds: Int64?) {
        pending.store(events ?? -1, ordering: .relaxed)
        oldestPending.store(oldestMilliseconds ?? 0, ordering: .relaxed)
    }

    /// Rows inserted so far.
    public var inserted: Int64 { block.load(Self.insertedIndex) }
    /// Events found already in the table so far.
    public var duplicates: Int64 { block.load(Self.duplicateIndex) }
    /// Records refused for their content so far.
    public var rejected: Int64 { block.load(Self.rejectedIndex) }
    /// Failures of `kind` so far.
    public func errors(_ kind: PostgresError.Kind) -> Int64 { block.load(Self.errorBase + (Self.errorKinds.firstIndex(of: kind) ?? 0)) }
    /// Whether a connection is open and the tables are ready.
    public var isConnected: Bool { connected.load(ordering: .relaxed) }
    /// Events in the journal not yet in PostgreSQL; nil until the forwarded positions are known.
    public var pendingEvents: Int? {
        let value = pending.load(ordering: .relaxed)
        return value < 0 ? nil : value
    }

    /// Seconds since the oldest event not yet in PostgreSQL was received; 0 when none is pending.
    /// - Parameter nowMilliseconds: the Unix time to measure from; default now.
    public func oldestPendingAge(nowMilliseconds: Int64? = nil) -> Double {
        let nowMilliseconds = nowMilliseconds ?? UnixTime.nowMilliseconds()
        let oldest = oldestPending.load(ordering: .relaxed)
        return oldest == 0 ? 0 : max(Double(nowMilliseconds - oldest) / 1000, 0)
    }

    /// Writes the forwarding families.
    public func render(into out: inout PrometheusExposition) {
        out.counter("fast_receiver_forward_events_total",
                    help: "Stored events forwarded to PostgreSQL, by outcome: inserted, already in the table, or refused for their content.",
                    label: "outcome", samples: [("inserted", inserted), ("duplicate", duplicates), ("rejected", rejected)])
        out.counter("fast_receiver_forward_errors_total", help: "Failed attempts to connect to or write into PostgreSQL, by cause.",
                    label: "cause", samples: Self.errorKinds.map { ($0.label, errors($0)) })
        out.gauge("fast_receiver_forward_up", help: "1 while the forwarder is connected to PostgreSQL with its tables ready.",
                  value: isConnected ? 1 : 0)
        out.gauge("fast_receiver_forward_pending_events",
                  help: "Events stored in the journal and not yet in PostgreSQL (NaN until the forwarded position has been read).",
                  value: pendingEvents.map(Double.init) ?? .nan)
        out.gauge("fast_receiver_forward_oldest_pending_age_seconds",
                  help: "Seconds since the oldest event not yet in PostgreSQL was received; 0 when none is pending.",
                  value: oldestPendingAge())
        out.histogram("fast_receiver_forward_batch_duration_seconds", help: "Duration of each batch's transaction.",
                      parts: [batchDuration], divisor: 1_000_000)
        out.histogram("fast_receiver_forward_delay_seconds", help: "Time from an event's receipt to the commit of its row.",
                      parts: [delay], divisor: 1_000_000)
    }
}

extension PostgresError.Kind {
    /// The category as a metric label: `connectionRefused` → `connection_refused`.
    var label: String {
        var label = ""
        for character in rawValue {
            if character.isUppercase {
                label += "_" + character.lowercased()
            } else {
                label.append(character)
            }
        }
        return label
    }
}
