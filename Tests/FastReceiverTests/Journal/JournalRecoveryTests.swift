import Foundation
import Glibc
import Testing
@testable import FastReceiver

@Suite(.serialized) struct JournalRecoveryTests {
    static func record(_ id: String, at milliseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) -> JournalRecord {
        JournalRecord(receivedAtMilliseconds: milliseconds, eventID: Array(id.utf8), body: Array(#"{"event":{"eventId":"\#(id)"}}"#.utf8))
    }

    /// A data directory holding one segment with the given bytes after its header.
    static func dataDirectory(segment records: [JournalRecord], then extra: [UInt8] = [], name: String = "1700000000000-w000-000001.seg") throws -> (String, String) {
        let data = NSTemporaryDirectory() + "fast-receiver-recovery-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: data + "/journal", withIntermediateDirectories: true)
        let path = data + "/journal/" + name
        let bytes = SegmentHeader.encode(createdAtMilliseconds: 1_700_000_000_000) + records.flatMap { $0.encoded() } + extra
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return (data, path)
    }

    static func open(_ data: String) throws -> Journal {
        try Journal(dataDirectory: data, workerCount: 1, dedupeCapacity: 1000, status: ServiceStatus(), wake: [try WakeSignal()])
    }

    static func storedIDs(_ data: String) -> [String] {
        let catalog = JournalCatalog(dataDirectory: data)
        var ids: [String] = []
        for name in catalog.segments() { catalog.forEachRecord(in: name) { ids.append(String(decoding: $0.eventID, as: UTF8.self)) } }
        return ids
    }

    @Test("Garbage appended to a segment is a torn tail: truncated, counted, records kept")
    func tornTail() throws {
        let (data, path) = try Self.dataDirectory(segment: [Self.record("a"), Self.record("b")], then: Array("\u{0}\u{1}garbage".utf8) + Array(Self.record("c").encoded().prefix(20)))
        defer { try? FileManager.default.removeItem(atPath: data) }
        let journal = try Self.open(data)
        #expect(journal.recovery.tornTailsRepaired == 1)
        #expect(journal.recovery.tornBytesRemoved == 29)
        #expect(journal.recovery.records == 2)
        journal.close()
        #expect(Self.storedIDs(data) == ["a", "b"])
        #expect(JournalCatalog(dataDirectory: data).stats().tornTailsRepaired == 1)
        _ = path
    }

    @Test("A byte flipped mid-segment loses that record only; the rest are kept and it is reported")
    func flippedByte() throws {
        var bytes = [Self.record("a"), Self.record("b"), Self.record("c")].flatMap { $0.encoded() }
        bytes[Self.record("a").encoded().count + 30] ^= 0x01
        let data = NSTemporaryDirectory() + "fast-receiver-recovery-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.createDirectory(atPath: data + "/journal", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: data + "/journal/1700000000000-w000-000001.seg",
                                       contents: Data(SegmentHeader.encode(createdAtMilliseconds: 1) + bytes))
        let journal = try Self.open(data)
        #expect(journal.recovery.corruptRegionsSkipped == 1)
        #expect(journal.recovery.tornTailsRepaired == 0)
        #expect(journal.recovery.notes.contains { $0.contains("corrupt bytes") })
        journal.close()
        #expect(Self.storedIDs(data) == ["a", "c"])
    }

    @Test("A zero-length segment is removed; recovery is not fatal")
    func zeroLength() throws {
        let (data, _) = try Self.dataDirectory(segment: [Self.record("a")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let empty = data + "/journal/1700000000001-w001-000001.seg"
        FileManager.default.createFile(atPath: empty, contents: Data())
        let journal = try Self.open(data)
        #expect(journal.recovery.emptySegmentsRemoved == 1)
        #expect(!FileManager.default.fileExists(atPath: empty))
        journal.close()
        #expect(Self.storedIDs(data) == ["a"])
    }

    @Test("Recovered ids are deduplicated: a redelivery after restart is not stored again")
    func dedupeRebuilt() throws {
        let (data, _) = try Self.dataDirectory(segment: [Self.record("recovered-id")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let journal = try Self.open(data)
        #expect(journal.recovery.dedupeEntriesRestored == 1)
        let key = Array("recovered-id".utf8).withUnsafeBytes { EventKey($0) }
        guard case .duplicate(let ticket) = journal.dedupe.claim(key, ticket: DurabilityTicket(worker: 0, sequence: 1), now: Int64(Date().timeIntervalSince1970)) else {
            Issue.record("the recovered id was not known")
            return
        }
        #expect(journal.state(of: ticket) == .durable)
        journal.close()
    }

    @Test("Sealed segments are compressed and still read back, in storage order")
    func compression() throws {
        let (data, path) = try Self.dataDirectory(segment: [Self.record("a"), Self.record("b")])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let journal = try Self.open(data)
        journal.close()  // finishes pending compression
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(FileManager.default.fileExists(atPath: path + ".gz"))
        #expect(Self.storedIDs(data) == ["a", "b"])
        let stats = JournalCatalog(dataDirectory: data).stats()
        #expect(stats.compressedSegments == 1)
        #expect(stats.records == 2)
    }
}

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

    @Test("kill -9 while 16 clients post: after restart every acknowledged event is stored exactly once")
    func killNine() throws {
        let environment = ShutdownTests.environment()
        let data = try #require(environment["DATA_DIR"])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let child = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--threads", "2"], environment: environment)
        let port = try child.waitForPort()
        let (posters, group) = Self.startPosters(16, port: port)
        usleep(1_500_000)
        child.signal(SIGKILL)
        _ = child.waitForExit(timeout: 10)
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
        usleep(1_000_000)
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
