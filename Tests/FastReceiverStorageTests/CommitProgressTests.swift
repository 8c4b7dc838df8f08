import Testing

@testable import FastReceiverStorage

@Suite struct CommitProgressTests {
    @Test("Records are pending until their batch resolves, then durable, or failed when their batch failed")
    func states() {
        let progress = CommitProgress()
        #expect(progress.state(of: 1) == .pending)
        progress.resolve(through: 5, isFailure: false)
        progress.resolve(through: 9, isFailure: true)
        progress.resolve(through: 12, isFailure: false)
        #expect((1...5).allSatisfy { progress.state(of: $0) == .durable })
        #expect((6...9).allSatisfy { progress.state(of: $0) == .failed })
        #expect((10...12).allSatisfy { progress.state(of: $0) == .durable })
        #expect(progress.state(of: 13) == .pending)
    }

    @Test("After a failed fdatasync a record still pending is failed: it will never be acknowledged")
    func syncFailure() {
        let progress = CommitProgress()
        progress.resolve(through: 3, isFailure: false)
        progress.hasSyncFailed.store(true, ordering: .relaxed)
        #expect(progress.state(of: 3) == .durable)
        #expect(progress.state(of: 4) == .failed)
    }

    @Test("Only the most recent 64 failed batches are remembered")
    func boundedFailures() {
        let progress = CommitProgress()
        for batch in 1...100 { progress.resolve(through: UInt64(batch), isFailure: true) }
        #expect(progress.state(of: 100) == .failed)
        #expect(progress.state(of: 37) == .failed)
        #expect(progress.state(of: 36) == .durable)
    }
}
