/// Capped exponential backoff with jitter: after the n-th failure in a row the pause is drawn
/// from the upper half of `min(initial × 2ⁿ⁻¹, maximum)`, so that replicas that failed together
/// do not retry together, and a pause never falls below half its ceiling.
struct Backoff {
    let initialMilliseconds: Int
    let maxMilliseconds: Int
    /// Failures in a row so far.
    private(set) var failures = 0

    init(initialMilliseconds: Int, maxMilliseconds: Int) {
        self.initialMilliseconds = max(initialMilliseconds, 1)
        self.maxMilliseconds = max(maxMilliseconds, self.initialMilliseconds)
    }

    /// The pause after one more failure, in milliseconds.
    mutating func next() -> Int {
        let ceiling = min(maxMilliseconds, initialMilliseconds << min(failures, 30))
        failures += 1
        return ceiling / 2 + Int.random(in: 0...(ceiling - ceiling / 2))
    }

    /// A success: the next failure starts from `initialMilliseconds` again.
    mutating func reset() {
        failures = 0
    }
}
