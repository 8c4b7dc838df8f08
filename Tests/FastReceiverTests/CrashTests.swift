import FastReceiverTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

@testable import FastReceiverStorage
@testable import FastReceiverTools
@testable import FastReceiverVerification

@Suite(.serialized) struct CrashTests {
    /// Posts events until stopped; records each acknowledged id.
    final class Poster: @unchecked Sendable {
        let port: Int
        let factory: DTEventFactory
        private let lock = NSLock()
        private var acknowledged: [String] = []
        private var acknowledgedRequests: [DTEventFactory.Request] = []
        private var stop = false

        init(port: Int, factory: DTEventFactory) {
            self.port = port
            self.factory = factory
        }

        var ids: [String] { lock.lock(); defer { lock.unlock() }; return acknowledged }
        var requests: [DTEventFactory.Request] { lock.lock(); defer { lock.unlock() }; return acknowledgedRequests }
        func halt() { lock.lock(); stop = true; lock.unlock() }
        private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stop }

        func run() {
            guard let connection = try? HTTPClientConnection(endpoint: .init(url: "http://127.0.0.1:\(port)/")) else { return }
            while !isStopped {
                guard let request = try? factory.request(type: .temperature) else { return }
                guard let response = try? connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"]) else { return }
                if response.status == 200 {
                    lock.lock()
                    acknowledged.append(request.eventID)
                    acknowledgedRequests.append(request)
                    lock.unlock()
                }
            }
        }
    }

    /// Starts `count` clients posting fresh signed events to `port` until halted.
    static func startPosters(_ count: Int, port: Int) -> ([Poster], DispatchGroup) {
        let factory = DTEventFactory(secret: SignatureSecret(TestServer.secret)!)
        let posters = (0..<count).map { _ in Poster(port: port, factory: factory) }
        let group = DispatchGroup()
        for poster in posters {
            group.enter()
            Thread { poster.run(); group.leave() }.start()
        }
        return (posters, group)
    }

    /// How many events the posters have had acknowledged so far.
    static func acknowledgedCount(_ posters: [Poster]) -> Int {
        posters.reduce(0) { $0 + $1.ids.count }
    }

    @Test("kill -9 while 16 clients post: after restart every acknowledged event is stored exactly once")
    func killNine() throws {
        let environment = ShutdownTests.environment()
        let data = try #require(environment["DATA_DIR"])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let child = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--threads", "2"], environment: environment)
        let port = try child.waitForPort()
        let (posters, group) = Self.startPosters(16, port: port)
        #expect(waitUntil { Self.acknowledgedCount(posters) > 100 })
        child.signal(SIGKILL)
        _ = child.waitForExit(timeout: 30)
        for poster in posters { poster.halt() }
        #expect(group.wait(timeout: .now() + 20) == .success)
        let acknowledged = posters.flatMap(\.ids)
        #expect(acknowledged.count > 100, "only \(acknowledged.count) events were acknowledged before the kill")

        // Restart on the same data directory: recovery runs, then stop it cleanly.
        let restarted = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0"], environment: environment)
        let newPort = try restarted.waitForPort()
        // A redelivery of an acknowledged event is answered 200 and not stored again.
        let redelivered = try #require(posters.first { !$0.requests.isEmpty }?.requests.first)
        let connection = HTTPClientConnection(endpoint: try .init(url: "http://127.0.0.1:\(newPort)/"))
        #expect(try connection.post(body: redelivered.body, headers: ["X-Dt-Signature: \(redelivered.signature)"]).status == 200)
        restarted.signal(SIGTERM)
        #expect(restarted.waitForExit(timeout: 30) == 0)

        // `journal cat`, as a user runs it.
        let cat = try ChildProcess(arguments: ["journal", "cat", "--data-dir", data], environment: environment)
        #expect(cat.waitForExit(timeout: 60) == 0)
        var counts: [String: Int] = [:]
        for line in cat.standardOutput.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "unparseable line")
            let id = try #require(object["eventId"] as? String)
            #expect(object["event"] is [String: Any])
            #expect(object["receivedAt"] is String)
            counts[id, default: 0] += 1
        }
        for id in acknowledged {
            #expect(counts[id] == 1, "acknowledged \(id) stored \(counts[id] ?? 0) times")
        }
        #expect(counts.values.allSatisfy { $0 == 1 })
    }

    @Test("SIGTERM while 16 clients post: exit 0, and every acknowledged event is stored exactly once")
    func sigtermUnderLoad() throws {
        let environment = ShutdownTests.environment()
        let data = try #require(environment["DATA_DIR"])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let child = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--threads", "2"], environment: environment)
        let port = try child.waitForPort()
        let (posters, group) = Self.startPosters(16, port: port)
        #expect(waitUntil { Self.acknowledgedCount(posters) > 100 })
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 30) == 0)
        for poster in posters { poster.halt() }
        #expect(group.wait(timeout: .now() + 20) == .success)
        let acknowledged = posters.flatMap(\.ids)
        #expect(acknowledged.count > 100)
        var counts: [String: Int] = [:]
        let catalog = JournalCatalog(dataDirectory: data)
        for name in catalog.segments() {
            catalog.forEachRecord(in: name) { counts[String(decoding: $0.eventID, as: UTF8.self), default: 0] += 1 }
        }
        for id in acknowledged { #expect(counts[id] == 1, "acknowledged \(id) stored \(counts[id] ?? 0) times") }
    }
}
