/// Names one journal record: the worker whose journal holds it and its sequence number there.
/// A response waits on a ticket until that record is durable.
public struct DurabilityTicket: Sendable, Equatable {
    public var worker: Int
    public var sequence: UInt64

    public init(worker: Int, sequence: UInt64) {
        self.worker = worker
        self.sequence = sequence
    }

    var packed: UInt64 { UInt64(worker) << 48 | (sequence & 0xFFFF_FFFF_FFFF) }

    init(packed: UInt64) {
        worker = Int(packed >> 48)
        sequence = packed & 0xFFFF_FFFF_FFFF
    }
}
