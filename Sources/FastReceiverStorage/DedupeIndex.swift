internal import Glibc
internal import Synchronization

/// The recent `eventId`s, shared by all workers, so a redelivered event is answered 200 without
/// being stored again — and two copies racing on two workers are stored once.
///
/// Bounded both ways: at most `capacity` ids, none older than `window` seconds (the oldest are
/// forgotten first). From 4 096 ids up, the index is 64 shards of `capacity / 64` ids each, so
/// the oldest ids of a busier shard go a little before the global oldest. Split into shards, each behind its own `Mutex`, so workers rarely meet.
/// Each shard's index (8 bytes a slot, a third more slots than ids, rounded up to a power of two)
/// is committed at start; the ids themselves (32 bytes each) take memory as they arrive.
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

/// One shard: the ids in a ring, oldest first, for eviction by age and by capacity, and an
/// open-addressing index into the ring (linear probing, backward-shift deletion).
///
/// The two are laid out for the page faults they cost. Ids are appended to the ring in order, so
/// its memory is touched sequentially, a page per 128 ids. The index is where inserts land at
/// random; at 8 bytes a slot it is a quarter of the ring's size, and it is committed when the
/// shard is made, so no request ever waits for the kernel to zero a page of it.
struct Shard: ~Copyable {
    /// One remembered id.
    struct Entry {
        var high: UInt64
        var low: UInt64
        var ticket: UInt64
        var insertedAt: UInt32
    }

    /// An index slot: 0 when empty, otherwise the low 32 bits of the key's `high` half (which
    /// also give the slot's home) above the entry's ring position plus one.
    typealias Slot = UInt64

    let capacity: Int
    private let mask: Int
    private let slots: UnsafeMutablePointer<Slot>
    private let ring: UnsafeMutablePointer<Entry>
    private let slotBytes: Int
    private let ringBytes: Int
    /// The oldest entry's ring position.
    private var head = 0
    /// Entries in the ring, including those released since (their slots are gone).
    private var ringCount = 0
    /// Ids in the index.
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity > 0 && capacity < Int(UInt32.max), "a dedupe shard holds at most 2^32 - 2 ids")
        self.capacity = capacity
        var size = 16
        while size < capacity + capacity / 3 + 1 { size <<= 1 }
        mask = size - 1
        slotBytes = size * MemoryLayout<Slot>.stride
        ringBytes = capacity * MemoryLayout<Entry>.stride
        slots = Self.map(slotBytes, populate: true).bindMemory(to: Slot.self, capacity: size)
        ring = Self.map(ringBytes, populate: false).bindMemory(to: Entry.self, capacity: capacity)
    }

    /// Zeroed memory: committed now when `populate`, otherwise backed only once touched.
    private static func map(_ bytes: Int, populate: Bool) -> UnsafeMutableRawPointer {
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : MAP_NORESERVE)
        let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, flags, -1, 0)
        guard let mapped, mapped != MAP_FAILED else {
            // Without memory for the index the service cannot keep its dedupe promise.
            fatalError("cannot reserve \(bytes) bytes for the dedupe index")
        }
        return mapped
    }

    func release() {
        munmap(UnsafeMutableRawPointer(slots), slotBytes)
        munmap(UnsafeMutableRawPointer(ring), ringBytes)
    }

    mutating func claim(_ key: EventKey, ticket: UInt64, now: Int64, window: Int64) -> DedupeIndex.Claim {
        let seconds = UInt32(truncatingIfNeeded: now)
        evict(now: seconds, window: UInt32(clamping: window))
        var (index, found) = probe(key.high, key.low)
        if found { return .duplicate(DurabilityTicket(packed: ring[Self.position(of: slots[index])].ticket)) }
        if ringCount == capacity {
            evictOldest()
            // Eviction may have shifted the probe chain: find its free slot again.
            index = probe(key.high, key.low).index
        }
        let position = (head + ringCount) % capacity
        slots[index] = Self.slot(high: key.high, position: position)
        ring[position] = Entry(high: key.high, low: key.low, ticket: ticket, insertedAt: seconds)
        ringCount += 1
        count += 1
        return .new
    }

    mutating func remove(_ key: EventKey, ifTicket ticket: UInt64) {
        let (index, found) = probe(key.high, key.low)
        guard found, ring[Self.position(of: slots[index])].ticket == ticket else { return }
        delete(at: index)
    }

    private mutating func evict(now: UInt32, window: UInt32) {
        while ringCount > 0 {
            let insertedAt = ring[head].insertedAt
            guard now &- insertedAt > window, now >= insertedAt else { return }
            evictOldest()
        }
    }

    /// Drops the oldest entry and its slot, unless a release removed the slot already.
    private mutating func evictOldest() {
        let oldest = ring[head]
        let wanted = Self.slot(high: oldest.high, position: head)
        head = (head + 1) % capacity
        ringCount -= 1
        var index = home(ofTag: Self.tag(of: wanted))
        while slots[index] != 0 {
            if slots[index] == wanted {
                delete(at: index)
                return
            }
            index = (index + 1) & mask
        }
    }

    /// The slot holding the key (`found`), or else the empty slot that ends its probe chain,
    /// comparing the ring's full key only where the tag matches.
    private func probe(_ high: UInt64, _ low: UInt64) -> (index: Int, found: Bool) {
        let tag = UInt32(truncatingIfNeeded: high)
        var index = home(ofTag: tag)
        while slots[index] != 0 {
            if Self.tag(of: slots[index]) == tag {
                let entry = ring[Self.position(of: slots[index])]
                if entry.high == high && entry.low == low { return (index, true) }
            }
            index = (index + 1) & mask
        }
        return (index, false)
    }

    /// The slot for a key whose `high` half is given, at a ring position.
    @inline(__always)
    private static func slot(high: UInt64, position: Int) -> Slot {
        UInt64(UInt32(truncatingIfNeeded: high)) << 32 | UInt64(position + 1)
    }

    @inline(__always)
    private static func tag(of slot: Slot) -> UInt32 {
        UInt32(truncatingIfNeeded: slot >> 32)
    }

    @inline(__always)
    private static func position(of slot: Slot) -> Int {
        Int(UInt32(truncatingIfNeeded: slot)) - 1
    }

    @inline(__always)
    private func home(ofTag tag: UInt32) -> Int {
        Int(tag) & mask
    }

    /// Backward-shift deletion keeps every probe chain unbroken without tombstones.
    private mutating func delete(at start: Int) {
        var hole = start
        var index = (start + 1) & mask
        while slots[index] != 0 {
            let slotHome = home(ofTag: Self.tag(of: slots[index]))
            // Move the slot into the hole if its home is not between the hole and its position.
            let distanceToHole = (index - hole) & mask
            let distanceFromHome = (index - slotHome) & mask
            if distanceFromHome >= distanceToHole {
                slots[hole] = slots[index]
                hole = index
            }
            index = (index + 1) & mask
        }
        slots[hole] = 0
        count -= 1
    }
}
