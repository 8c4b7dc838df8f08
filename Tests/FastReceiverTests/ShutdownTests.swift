import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@testable import FastReceiverStorage
@testable import FastReceiverTools
@testable import FastReceiverVerification

@Suite(.serialized) struct ShutdownTests {
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DT_SIGNATURE_SECRET"] = TestServer.secret
        environment["DATA_DIR"] = NSTemporaryDirectory() + "fast-receiver-data-\(UUID().uuidString)"
        environment.merge(extra) { $1 }
        return environment
    }

    @Test("SIGTERM with 100 requests in flight: each is finished, answered with Connection: close; exit 0")
    func sigtermDrains() throws {
        let environment = Self.environment()
        let child = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--threads", "2"], environment: environment)
        let port = try child.waitForPort()
        let factory = DTEventFactory(secret: SignatureSecret(TestServer.secret)!)
        var inFlight: [(RawConnection, [UInt8])] = []
        for _ in 0..<100 {
            let request = try factory.request(type: .temperature)
            let raw = try RawConnection(port: port)
            let head = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nX-Dt-Signature: \(request.signature)\r\nContent-Length: \(request.body.count)\r\n\r\n"
            let half = request.body.count / 2
            raw.send(Array(head.utf8) + request.body[..<half])
            inFlight.append((raw, Array(request.body[half...])))
        }
        // Every head has been read and accepted before the signal: 100 Continue says so.
        for (raw, _) in inFlight { #expect(raw.read(count: RawConnection.continueInterim.utf8.count) == RawConnection.continueInterim) }
        child.signal(SIGTERM)
        // Draining has begun once a new connection is no longer accepted.
        #expect(waitUntil { RawConnection.isRefused(port: port) }, "still accepting after SIGTERM")
        for (raw, rest) in inFlight { raw.send(rest) }
        var closes = 0
        for (raw, _) in inFlight {
            let answer = raw.readAll()
            #expect(RawConnection.statuses(answer.text) == [200])
            if answer.text.contains("Connection: close\r\n") && answer.closed { closes += 1 }
            raw.close()
        }
        #expect(closes == 100)
        #expect(child.waitForExit(timeout: 30) == 0)
        let catalog = JournalCatalog(dataDirectory: try #require(environment["DATA_DIR"]))
        #expect(catalog.stats().records == 100)
    }

    @Test("SIGTERM on an idle server exits 0 at once")
    func sigtermIdle() throws {
        // A grace period far longer than the wait below: an idle server does not wait it out.
        let child = try ChildProcess(arguments: ["--host", "127.0.0.1", "--port", "0", "--shutdown-grace", "600"], environment: Self.environment())
        _ = try child.waitForPort()
        child.signal(SIGINT)
        #expect(child.waitForExit(timeout: 30) == 0)
    }

    @Test("Refuses to start, with one sentence, without a secret, on a taken port, or with a bad value")
    func refusesToStart() throws {
        var environment = Self.environment()
        environment["DT_SIGNATURE_SECRET"] = ""
        let noSecret = try ChildProcess(arguments: ["serve", "--port", "0"], environment: environment)
        #expect(noSecret.waitForExit(timeout: 30) == 2)
        #expect(noSecret.standardError.contains("DT_SIGNATURE_SECRET is missing or empty"))

        let holder = try TestServer()
        let taken = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "\(holder.port)"], environment: Self.environment())
        #expect(taken.waitForExit(timeout: 30) == 2)
        #expect(taken.standardError.contains("Port \(holder.port) on 127.0.0.1 is already in use"))

        let badValue = try ChildProcess(arguments: ["serve", "--port", "0", "--max-body-bytes", "12"], environment: Self.environment())
        #expect(badValue.waitForExit(timeout: 30) == 2)
        #expect(badValue.standardError.contains("--max-body-bytes must be between"))

        let unwritable = try ChildProcess(arguments: ["serve", "--port", "0", "--data-dir", "/proc/fast-receiver-data"], environment: Self.environment())
        #expect(unwritable.waitForExit(timeout: 30) == 2)
        #expect(unwritable.standardError.contains("The data directory /proc/fast-receiver-data cannot be created"))

        let badEnvironment = try ChildProcess(arguments: ["serve", "--port", "0"], environment: Self.environment(["FAST_RECEIVER_THREADS": "many"]))
        #expect(badEnvironment.waitForExit(timeout: 30) == 2)
        #expect(badEnvironment.standardError.contains("FAST_RECEIVER_THREADS must be a whole number"))
    }

    @Test("send posts signed events of every type and each is answered 200")
    func sendCommand() throws {
        let server = try TestServer()
        let sender = try ChildProcess(arguments: ["send", "--url", server.url, "--count", "20"], environment: Self.environment())
        #expect(sender.waitForExit(timeout: 30) == 0)
        let lines = sender.standardOutput.split(separator: "\n")
        #expect(lines.count == 20)
        #expect(lines.allSatisfy { $0.hasPrefix("200 ") })
        #expect(server.storedLines().count == 20)
    }
}
