import Testing

@testable import FastReceiverTransport

@Suite struct BufferPoolTests {
    @Test("Buffers are page-sized multiples, distinct, and the pool runs dry at its capacity")
    func takesUpToCapacity() throws {
        let pool = try BufferPool(bufferSize: 5000, count: 3)
        #expect(pool.bufferSize % 4096 == 0 && pool.bufferSize >= 5000)
        let buffers = (0..<3).compactMap { _ in pool.take() }
        #expect(buffers.count == 3)
        #expect(pool.take() == nil)
        #expect(pool.available == 0)
        let starts = Set(buffers.compactMap(\.baseAddress))
        #expect(starts.count == 3)
        for buffer in buffers {
            #expect(buffer.count == pool.bufferSize)
            // Each buffer is writable over its whole length without touching another.
            buffer.initializeMemory(as: UInt8.self, repeating: 0xAB)
        }
        #expect(buffers.allSatisfy { $0.allSatisfy { $0 == 0xAB } })
    }

    @Test("A buffer given back is handed out again")
    func reusesReturnedBuffers() throws {
        let pool = try BufferPool(bufferSize: 4096, count: 2)
        let first = try #require(pool.take())
        let second = try #require(pool.take())
        pool.giveBack(first)
        #expect(pool.available == 1)
        let again = try #require(pool.take())
        #expect(again.baseAddress == first.baseAddress)
        pool.giveBack(again)
        pool.giveBack(second)
        #expect(pool.available == 2)
    }
}
