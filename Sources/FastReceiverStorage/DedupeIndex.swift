internal import Glibc
internal import Synchronization

/// The recent `eventId`s, shared by all workers, so a redelivered event is answered 200 without
/// being stored again — and two copies racing on two workers are stored once.
///
/// Bounded both ways: at most `capacity` ids, none older than `window` seconds (the oldest are
/// forgotten first). From 4 096 ids up, the index is 64 shards of `capacity / 64` ids each, so
/// the oldest ids of a busier shard go a little before the global oldest. Split into shards, each behind its own `Mutex`, so workers rarely meet.
/// Tables are anonymous mappings: untouched pages cost no memory.
public final class DedupeIndex: Sendable {
    /// What `claim` found.
    public enum Claim: Equatable, Sendable {
        /// The id is new; it is now recorded with the given ticket.
        case new
        /// The id was seen; its first copy is (or will be) durable at this ticket.
        case duplicate(DurabilityTicket)
    }

    public let capacity: Int
    public let windowSeconds: Int64
    private let shards: [LockedShard]

    /// - Parameters:
    ///   - capacity: ids remembered at most; default 1 000 000.
    ///   - windowSeconds: how long an id is remembered; default 86 400 (24 h).
    public init(capacity: Int = 1_000_000, windowSeconds: Int64 = 86_400) {
        self.capacity = max(capacity, 1)
        self.windowSeconds = windowSeconds
        let shardCount = capacity >= 4096 ? 64 : 1
        let perShard = (self.capacity + shardCount - 1) / shardCount
        shards = (0..<shardCount).map { _ in LockedShard(capacity: perShard) }
    }

    deinit {
        for shard in shards { shard.lock.withLock { $0.release() } }
    }

    /// Records `key` with `ticket` unless it is already known.
    public func claim(_ key: EventKey, ticket: DurabilityTicket, now: Int64) -> Claim {
        shard(for: key).lock.withLock { $0.claim(key, ticket: ticket.packed, now: now, window: windowSeconds) }
    }

    /// Forgets `key` if it is still recorded with `ticket` (its store failed, so a retry must store it).
    public func release(_ key: EventKey, ticket: DurabilityTicket) {
        shard(for: key).lock.withLock { $0.remove(key, ifTicket: ticket.packed) }
    }

    /// The number of ids remembered.
    public var count: Int {
        shards.reduce(0) { total, shard in total + shard.lock.withLock { $0.count } }
    }

    private func shard(for key: EventKey) -> LockedShard {
        shards[Int(key.low >> 58) % shards.count]
    }
}

/// A shard and the lock that guards it.
final class LockedShard: Sendable {
    let lock: Mutex<Shard>
    init(capacity: Int) { lock = Mutex(Shard(capacity: capacity)) }
}

/// One shard: an open-addressing table (linear probing, backward-shift deletion) and a FIFO of
/// insertions for eviction by age and by capacity.
struct Shard: ~Copyable {
    struct Slot {
        var high: UInt64
        var low: UInt64
        var ticket: UInt64
        /// 0 for an empty slot; otherwise the insertion's stamp.
        var stamp: UInt32
        var insertedAt: UInt32
    }

    struct Entry {
        var high: UInt64
        var low: UInt64
        var stamp: UInt32
        var insertedAt: UInt32
    }

    let capacity: Int
    private let mask: Int
    private let slots: UnsafeMutablePointer<Slot>
    private let order: UnsafeMutablePointer<Entry>
    private let slotBytes: Int
    private let orderBytes: Int
    private var orderHead = 0
    private var orderCount = 0
    private var nextStamp: UInt32 = 1
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        var size = 16
        while size < capacity + capacity / 3 + 1 { size <<= 1 }
        mask = size - 1
        slotBytes = size * MemoryLayout<Slot>.stride
        orderBytes = capacity * MemoryLayout<Entry>.stride
        slots = Self.map(slotBytes).bindMemory(to: Slot.self, capacity: size)
        order = Self.map(orderBytes).bindMemory(to: Entry.self, capacity: capacity)
    }

    /// Zeroed memory that is only backed once touched.
    private static func map(_ bytes: Int) -> UnsafeMutableRawPointer {
        let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let mapped, mapped != MAP_FAILED else {
            // Without memory for the index the service cannot keep its dedupe promise.
            fatalError("cannot reserve \(bytes) bytes for the dedupe index")
        }
        return mapped
    }

    func release() {
        munmap(UnsafeMutableRawPointer(slots), slotBytes)
        munmap(UnsafeMutableRawPointer(order), orderBytes)
    }

    mutating func claim(_ key: EventKey, ticket: UInt64, now: Int64, window: Int64) -> DedupeIndex.Claim {
        let seconds = UInt32(truncatingIfNeeded: now)
        evict(now: seconds, window: UInt32(clamping: window))
        var index = Int(truncatingIfNeeded: key.high) & mask
        while slots[index].stamp != 0 {
            if slots[index].high == key.high && slots[index].low == key.low {
                return .duplicate(DurabilityTicket(packed: slots[index].ticket))
            }
            index = (index + 1) & mask
        }
        if orderCount == capacity { evictOldest() }
        // The probe chain may have changed if eviction moved entries; find the free slot again.
        index = Int(truncatingIfNeeded: key.high) & mask
        while slots[index].stamp != 0 { index = (index + 1) & mask }
        let stamp = nextStamp
        nextStamp = nextStamp == .max ? 1 : nextStamp + 1
        slots[index] = Slot(high: key.high, low: key.low, ticket: ticket, stamp: stamp, insertedAt: seconds)
        order[(orderHead + orderCount) % capacity] = Entry(high: key.high, low: key.low, stamp: stamp, insertedAt: seconds)
        orderCount += 1
        count += 1
        return .new
    }

    mutating func remove(_ key: EventKey, ifTicket ticket: UInt64) {
        guard let index = find(key.high, key.low), slots[index].ticket == ticket else { return }
        delete(at: index)
    }

    private mutating func evict(now: UInt32, window: UInt32) {
        while orderCount > 0 {
            let oldest = order[orderHead]
            guard now &- oldest.insertedAt > window, now >= oldest.insertedAt else { return }
            evictOldest()
        }
    }

    private mutating func evictOldest() {
        let oldest = order[orderHead]
        orderHead = (orderHead + 1) % capacity
        orderCount -= 1
        if let index = find(oldest.high, oldest.low), slots[index].stamp == oldest.stamp {
            delete(at: index)
        }
    }

    private func find(_ high: UInt64, _ low: UInt64) -> Int? {
        var index = Int(truncatingIfNeeded: high) & mask
        while slots[index].stamp != 0 {
            if slots[index].high == high && slots[index].low == low { return index }
            index = (index + 1) & mask
        }
        return nil
    }

    /// Backward-shift deletion keeps every probe chain unbroken without tombstones.
    private mutating func delete(at start: Int) {
        var hole = start
        var index = (start + 1) & mask
        while slots[index].stamp != 0 {
            let home = Int(truncatingIfNeeded: slots[index].high) & mask
            // Move the entry into the hole if its home is not between the hole and its position.
            let distanceToHole = (index - hole) & mask
            let distanceFromHome = (index - home) & mask
            if distanceFromHome >= distanceToHole {
                slots[hole] = slots[index]
                hole = index
            }
            index = (index + 1) & mask
        }
        slots[hole].stamp = 0
        count -= 1
    }
}
