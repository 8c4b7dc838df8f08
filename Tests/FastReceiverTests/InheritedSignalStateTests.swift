import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@testable import FastReceiverStorage
@testable import FastReceiverTools
@testable import FastReceiverVerification

/// `fast-receiver` started by a parent that blocks SIGTERM and SIGINT, as a supervisor, a shell
/// wrapper or a language runtime may: every subcommand undoes that at start, so the signals
/// still stop it.
@Suite(.serialized) struct InheritedSignalStateTests {
    /// Signals a parent hands down blocked.
    static let blockedByParent = [SIGTERM, SIGINT]

    /// A mask as /proc shows it: bit n - 1 stands for signal n.
    static func mask(_ signals: [Int32]) -> UInt64 {
        signals.reduce(0) { $0 | 1 << UInt64($1 - 1) }
    }

    /// A signal mask of the process's main thread from /proc: `SigBlk` (blocked) or `SigIgn`
    /// (ignored); nil once the process is gone.
    static func signalMask(_ field: String, of child: ChildProcess) -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/\(child.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
        return UInt64(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16)
    }

    @Test("journal cat --follow blocks only what its signalfd reads, and stops with exit 0 on the signal", arguments: [SIGTERM, SIGINT, SIGHUP])
    func follower(stop: Int32) throws {
        let server = try TestServer()
        #expect(try server.postValidEvent() == 200)
        let follower = try ChildProcess(arguments: ["journal", "cat", "--follow", "--data-dir", server.dataDirectory],
                                        environment: ShutdownTests.environment(), blocking: Self.blockedByParent)
        _ = waitUntil { follower.standardOutput.hasSuffix("\n") || !follower.isRunning }
        try #require(follower.standardOutput.hasSuffix("\n"), "\(follower.standardError)")
        #expect(Self.signalMask("SigBlk", of: follower) == Self.mask([SIGTERM, SIGINT, SIGHUP]))
        #expect(Self.signalMask("SigIgn", of: follower).map { $0 & Self.mask([SIGTERM, SIGINT, SIGHUP]) } == 0)

        follower.signal(stop)
        #expect(follower.waitForExit(timeout: 30) == 0, "\(follower.standardError)")
        let lines = follower.standardOutput.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(server.storedLines().map { Substring($0) } == lines)
    }

    @Test("serve blocks only what its signalfd reads, and on SIGTERM drains: the request in flight is answered, exit 0")
    func serveDrains() throws {
        let environment = ShutdownTests.environment()
        let data = try #require(environment["DATA_DIR"])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let child = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--threads", "2"],
                                     environment: environment, blocking: Self.blockedByParent)
        let port = try child.waitForPort()
        #expect(Self.signalMask("SigBlk", of: child) == Self.mask([SIGTERM, SIGINT, SIGHUP]))
        #expect(Self.signalMask("SigIgn", of: child).map { $0 & Self.mask([SIGTERM, SIGINT, SIGHUP, SIGPIPE]) } == Self.mask([SIGPIPE]))

        // A request in flight: its head verified (100 Continue proves it was read), its body not sent.
        let request = try DTEventFactory(secret: SignatureSecret(TestServer.secret)!).request(type: .temperature)
        let raw = try RawConnection(port: port)
        raw.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nX-Dt-Signature: \(request.signature)\r\nContent-Length: \(request.body.count)\r\n\r\n")
        #expect(raw.read(count: RawConnection.continueInterim.utf8.count) == RawConnection.continueInterim)

        child.signal(SIGTERM)
        // Draining has begun once the listener no longer accepts.
        #expect(waitUntil { RawConnection.isRefused(port: port) }, "still accepting after SIGTERM")
        raw.send(request.body)
        let answer = raw.readAll()
        // Closing ends the server's lingering close at once.
        raw.close()
        #expect(RawConnection.statuses(answer.text) == [200])
        #expect(answer.text.contains("Connection: close\r\n") && answer.closed)
        #expect(child.waitForExit(timeout: 30) == 0, "\(child.standardError)")
        #expect(child.standardError.contains("stopped"))
        #expect(JournalCatalog(dataDirectory: data).stats().records == 1)
    }

    @Test("Other subcommands start with nothing blocked: send stops on SIGTERM")
    func sendStops() throws {
        let server = try TestServer()
        var environment = ProcessInfo.processInfo.environment
        environment["DT_SIGNATURE_SECRET"] = TestServer.secret
        let sender = try ChildProcess(arguments: ["send", "--url", server.url, "--rate", "5", "--concurrency", "1", "--duration", "120"],
                                      environment: environment, blocking: Self.blockedByParent)
        _ = waitUntil { !server.storedLines().isEmpty || !sender.isRunning }
        try #require(!server.storedLines().isEmpty, "\(sender.standardError)")
        #expect(Self.signalMask("SigBlk", of: sender) == 0)

        sender.signal(SIGTERM)
        #expect(sender.waitForExit(timeout: 30) == 128 + SIGTERM)
    }
}
