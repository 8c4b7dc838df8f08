import Testing

@testable import FastReceiverTransport

@Suite struct ConnectionBudgetTests {
    @Test("Claims succeed up to the limit, fail beyond it, and a release makes room for one more")
    func claimsUpToTheLimit() {
        let budget = ConnectionBudget(limit: 3)
        #expect((0..<3).allSatisfy { _ in budget.claim() })
        #expect(budget.current == 3)
        #expect(!budget.claim())
        #expect(budget.current == 3, "a refused claim is not counted")
        budget.release()
        #expect(budget.current == 2)
        #expect(budget.claim())
        #expect(!budget.claim())
    }

    @Test("Workers claiming at once never exceed the limit together")
    func concurrentClaimsStayWithinTheLimit() async {
        let budget = ConnectionBudget(limit: 100)
        let granted = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<50).reduce(0) { count, _ in budget.claim() ? count + 1 : count } }
            }
            return await group.reduce(0, +)
        }
        #expect(granted == 100)
        #expect(budget.current == 100)
    }
}
