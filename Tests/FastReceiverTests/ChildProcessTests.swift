import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

/// The tests' own child-process helper: what it promises is what keeps a test run from leaving
/// processes behind.
@Suite struct ChildProcessTests {
    struct Abandoned: Error {}

    /// Starts a child that would run for ten minutes, then throws before waiting for it.
    static func startAndThrow(_ pid: inout pid_t) throws {
        let child = try ChildProcess(executable: "/bin/sleep", arguments: ["600"], blocking: [SIGTERM, SIGINT, SIGHUP])
        pid = child.processIdentifier
        #expect(ChildProcess.runningChildren().contains { $0.pid == pid && $0.command == "/bin/sleep 600" })
        throw Abandoned()
    }

    @Test("A child whose test throws before waiting for it is killed and reaped")
    func reapedWhenTheTestThrows() throws {
        var pid: pid_t = 0
        #expect(throws: Abandoned.self) { try Self.startAndThrow(&pid) }
        try #require(pid > 0)
        // Reaped, not just killed: not even a zombie is left under this pid.
        #expect(kill(pid, 0) == -1 && errno == ESRCH)
        #expect(!ChildProcess.runningChildren().contains { $0.pid == pid })
    }

    @Test("A child starts with nothing blocked and the lifecycle signals and SIGPIPE at their default action, whatever its parent thread blocks")
    func cleanSignalState() throws {
        // This test runs on a libdispatch worker thread, which blocks nearly every signal.
        let child = try ChildProcess(executable: "/bin/grep", arguments: ["-E", "^Sig(Blk|Ign):", "/proc/self/status"])
        try #require(child.waitForExit(timeout: 30) == 0)
        var fields: [String: UInt64] = [:]
        for line in child.standardOutput.split(separator: "\n") {
            let parts = line.split(separator: ":")
            fields[String(parts[0])] = UInt64(parts[1].trimmingCharacters(in: .whitespaces), radix: 16)
        }
        #expect(fields["SigBlk"] == 0)
        let handled = InheritedSignalStateTests.mask([SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE])
        #expect(fields["SigIgn"].map { $0 & handled } == 0)
    }
}
