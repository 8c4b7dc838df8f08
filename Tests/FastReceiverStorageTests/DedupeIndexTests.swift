import Foundation
import Testing

@testable import FastReceiverStorage

@Suite struct DedupeIndexTests {
    static func key(_ text: String) -> EventKey {
        Array(text.utf8).withUnsafeBytes { EventKey($0) }
    }

    @Test("A new id is recorded once; the second claim finds the first ticket")
    func claim() {
        let index = DedupeIndex(capacity: 100, windowSeconds: 60)
        let first = DurabilityTicket(worker: 1, sequence: 7)
        #expect(index.claim(Self.key("a"), ticket: first, now: 1000) == .new)
        #expect(index.claim(Self.key("a"), ticket: DurabilityTicket(worker: 0, sequence: 9), now: 1001) == .duplicate(first))
        #expect(index.claim(Self.key("b"), ticket: first, now: 1001) == .new)
        #expect(index.count == 2)
    }

    @Test("Ids are forgotten after the window and beyond the capacity, oldest first")
    func bounds() {
        let index = DedupeIndex(capacity: 3, windowSeconds: 60)
        let ticket = DurabilityTicket(worker: 0, sequence: 1)
        for (offset, id) in ["a", "b", "c", "d"].enumerated() {
            #expect(index.claim(Self.key(id), ticket: ticket, now: 1000 + Int64(offset)) == .new)
        }
        #expect(index.count == 3)
        #expect(index.claim(Self.key("a"), ticket: ticket, now: 1004) == .new)  // evicted by capacity
        #expect(index.claim(Self.key("d"), ticket: ticket, now: 1004) != .new)
        #expect(index.claim(Self.key("d"), ticket: ticket, now: 1100) == .new)  // evicted by age
    }

    @Test("Release forgets an id only for the ticket that claimed it")
    func release() {
        let index = DedupeIndex(capacity: 10, windowSeconds: 60)
        let first = DurabilityTicket(worker: 0, sequence: 1)
        _ = index.claim(Self.key("a"), ticket: first, now: 1)
        index.release(Self.key("a"), ticket: DurabilityTicket(worker: 0, sequence: 2))
        #expect(index.claim(Self.key("a"), ticket: first, now: 2) == .duplicate(first))
        index.release(Self.key("a"), ticket: first)
        #expect(index.claim(Self.key("a"), ticket: first, now: 3) == .new)
    }

    @Test("Many ids with deletions in between keep every probe chain intact")
    func churn() {
        // Below 4096 ids the index is one shard, so its bound is exact.
        let index = DedupeIndex(capacity: 4000, windowSeconds: 1_000_000)
        let ticket = DurabilityTicket(worker: 0, sequence: 1)
        for id in 0..<20_000 { _ = index.claim(Self.key("id-\(id)"), ticket: ticket, now: Int64(id)) }
        #expect(index.count == 4000)
        for id in 16_000..<20_000 { #expect(index.claim(Self.key("id-\(id)"), ticket: ticket, now: 20_000) != .new, "id-\(id)") }
        for id in 0..<16_000 where id % 997 == 0 { #expect(index.claim(Self.key("id-\(id)"), ticket: ticket, now: 20_000) == .new) }
    }

    @Test("Keys that share an index tag and a home stay apart: each is found, released and evicted on its own")
    func sharedTags() {
        // The index keeps the low 32 bits of `high` as its tag (and home); these keys differ only above.
        let keys = (1...6).map { EventKey(high: UInt64($0) << 40 | 0x1234, low: UInt64($0)) }
        let index = DedupeIndex(capacity: 4, windowSeconds: 1_000_000)
        let tickets = (0..<6).map { DurabilityTicket(worker: 0, sequence: UInt64($0) + 1) }
        for (key, ticket) in zip(keys, tickets).prefix(4) { #expect(index.claim(key, ticket: ticket, now: 1) == .new) }
        for (key, ticket) in zip(keys, tickets).prefix(4) { #expect(index.claim(key, ticket: tickets[5], now: 1) == .duplicate(ticket)) }
        index.release(keys[1], ticket: tickets[1])
        #expect(index.count == 3)
        #expect(index.claim(keys[0], ticket: tickets[5], now: 2) == .duplicate(tickets[0]))
        #expect(index.claim(keys[2], ticket: tickets[5], now: 2) == .duplicate(tickets[2]))
        // The ring is full, the released id still holding its place: the fifth id evicts the
        // oldest, keys[0]; the sixth takes the released place and evicts no one.
        #expect(index.claim(keys[4], ticket: tickets[4], now: 3) == .new)
        #expect(index.claim(keys[5], ticket: tickets[5], now: 3) == .new)
        #expect(index.count == 4)
        for (key, ticket) in zip(keys, tickets).dropFirst(2) {
            #expect(index.claim(key, ticket: tickets[0], now: 4) == .duplicate(ticket))
        }
        // Now the oldest is keys[2]; claiming keys[1] again evicts it, and only it.
        #expect(index.claim(keys[1], ticket: tickets[1], now: 4) == .new)
        #expect(index.claim(keys[3], ticket: tickets[0], now: 4) == .duplicate(tickets[3]))
        #expect(index.claim(keys[2], ticket: tickets[2], now: 4) == .new)
        #expect(index.count == 4)
    }

    @Test("A sharded index keeps roughly its capacity and always the newest ids")
    func sharded() {
        let index = DedupeIndex(capacity: 64_000, windowSeconds: 1_000_000)
        let ticket = DurabilityTicket(worker: 0, sequence: 1)
        for id in 0..<200_000 { _ = index.claim(Self.key("s-\(id)"), ticket: ticket, now: 1) }
        #expect(index.count <= 64_000 && index.count > 60_000)
        for id in 199_000..<200_000 { #expect(index.claim(Self.key("s-\(id)"), ticket: ticket, now: 1) != .new) }
    }

    @Test("Concurrent claims of the same ids from many threads: each id is new exactly once")
    func concurrentClaims() async {
        let index = DedupeIndex(capacity: 100_000, windowSeconds: 60)
        let news = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var count = 0
                    for id in 0..<2000 where index.claim(Self.key("e\(id)"), ticket: DurabilityTicket(worker: worker, sequence: UInt64(id)), now: 1) == .new {
                        count += 1
                    }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(news == 2000)
    }
}
