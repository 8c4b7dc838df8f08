internal import Glibc

/// The deadline a test gives anything that normally takes milliseconds: so generous that only a
/// hang misses it, however busy the machine.
public let generousDeadline = Duration.seconds(30)

/// Polls `condition` until it holds or `deadline` has passed: how a test waits for state that
/// another thread or process brings about, instead of sleeping and hoping it is done.
///
/// The condition is checked once more at the deadline, so a machine slow enough to bring the state
/// about only then still passes. Polls start 1 ms apart and back off to 50 ms, so a condition
/// that reads a file or a socket costs little however long the wait.
/// - Parameters:
///   - deadline: how long to wait at most; `generousDeadline` unless a test needs a longer one.
///   - condition: what must come to hold; run on the calling thread.
/// - Returns: whether `condition` held in time.
public func waitUntil(deadline: Duration = generousDeadline, _ condition: () throws -> Bool) rethrows -> Bool {
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: deadline)
    var pauseMicroseconds: UInt32 = 1_000
    while clock.now < end {
        if try condition() { return true }
        usleep(pauseMicroseconds)
        pauseMicroseconds = min(pauseMicroseconds * 2, 50_000)
    }
    return try condition()
}
