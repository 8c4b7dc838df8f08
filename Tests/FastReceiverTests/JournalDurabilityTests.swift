import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@testable import FastReceiverStorage
@testable import FastReceiverTools
@testable import FastReceiverVerification

@Suite(.serialized) struct JournalDurabilityTests {
    @Test("The 200 is written only after the batch's fdatasync has returned")
    func syncBeforeAcknowledgement() throws {
        let io = RecordingFileIO()
        let server = try TestServer(threads: 1, io: io)
        io.closeGate()
        let request = try server.factory.request(type: .touch)
        let raw = try RawConnection(port: server.port, timeout: 0.5)
        defer { raw.close() }
        raw.send(TestServer.raw(request))
        // While the sync is held, no answer may come.
        #expect(raw.readResponses(1).isEmpty)
        #expect(io.operations.suffix(2) == ["write", "fdatasync"])
        io.openGate()
        let statuses = (0..<20).lazy.map { _ in raw.readResponses(1) }.first { !$0.isEmpty } ?? []
        let answered = Date()
        #expect(statuses == [200])
        #expect(try #require(io.lastSyncFinished) <= answered)
        #expect(io.operations.suffix(3) == ["write", "fdatasync", "fdatasync done"])
    }

    @Test("A client that half-closes after its request still gets the 200 once the event is durable")
    func halfClose() throws {
        let io = RecordingFileIO()
        let server = try TestServer(threads: 1, io: io)
        io.closeGate()
        let raw = try RawConnection(port: server.port, timeout: 5)
        defer { raw.close() }
        raw.send(TestServer.raw(try server.factory.request(type: .touch)))
        shutdown(raw.descriptor, Int32(SHUT_WR))
        usleep(200_000)
        io.openGate()
        let answer = raw.readAll()
        #expect(RawConnection.statuses(answer.text) == [200])
        #expect(answer.closed)
        #expect(server.storedLines().count == 1)
    }

    @Test("A duplicate whose first copy is still syncing waits for that sync; both are stored once")
    func duplicateWaitsForFirstCopy() throws {
        let io = RecordingFileIO()
        let server = try TestServer(threads: 1, io: io)
        io.closeGate()
        let request = try server.factory.request(type: .temperature)
        let first = try RawConnection(port: server.port, timeout: 0.5)
        let second = try RawConnection(port: server.port, timeout: 0.5)
        defer { first.close(); second.close() }
        first.send(TestServer.raw(request))
        usleep(100_000)
        second.send(TestServer.raw(request))
        #expect(second.readResponses(1).isEmpty)
        io.openGate()
        let one = (0..<20).lazy.map { _ in first.readResponses(1) }.first { !$0.isEmpty } ?? []
        let two = (0..<20).lazy.map { _ in second.readResponses(1) }.first { !$0.isEmpty } ?? []
        #expect(one == [200])
        #expect(two == [200])
        #expect(server.storedLines().count == 1)
    }

    @Test("Copies of one event racing on many connections across workers are stored once")
    func concurrentDuplicates() throws {
        let server = try TestServer(threads: 2)
        let request = try server.factory.request(type: .co2)
        let connections = try (0..<24).map { _ in try RawConnection(port: server.port, timeout: 10) }
        for connection in connections { connection.send(TestServer.raw(request)) }
        for connection in connections {
            #expect(connection.readResponses(1) == [200])
            connection.close()
        }
        #expect(server.storedLines().count == 1)
    }

    @Test("write durability acknowledges without fdatasync")
    func writeDurability() throws {
        let io = RecordingFileIO()
        let server = try TestServer(threads: 1, io: io) { $0.journal.durability = .write }
        io.closeGate()  // would hold any fdatasync forever
        #expect(try server.postValidEvent() == 200)
        io.openGate()
        #expect(server.storedLines().count == 1)
    }

    @Test("Disk full: 503 with Retry-After and /readyz 503, nothing acknowledged is lost, and it heals when space returns")
    func diskFull() throws {
        let mountPoint = NSTemporaryDirectory() + "fast-receiver-tmpfs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]) == 0 else {
            print("skipped: mounting a 1 MiB tmpfs was refused (the disk-full test needs root and mount)")
            return
        }
        defer { _ = Self.run("/bin/umount", ["-l", mountPoint]) }
        let data = mountPoint + "/data"
        var acknowledged: [String] = []
        let server = try TestServer(threads: 1) { $0.dataDirectory = data }
        let factory = DTEventFactory(secret: SignatureSecret(TestServer.secret)!)
        let connection = HTTPClientConnection(endpoint: try .init(url: "http://127.0.0.1:\(server.port)/"))
        // Fill the disk.
        let filler = mountPoint + "/filler"
        _ = Self.run("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k", "count=64"])
        var sawUnavailable = false
        for _ in 0..<400 {
            let request = try factory.request(type: .networkStatus)
            let response = try connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"])
            if response.status == 200 {
                acknowledged.append(request.eventID)
            } else {
                #expect(response.status == 503)
                #expect(response.header("retry-after") != nil)
                sawUnavailable = true
                break
            }
        }
        #expect(sawUnavailable)
        #expect(try connection.request(method: "GET", path: "/readyz").status == 503)
        #expect(try connection.request(method: "GET", path: "/healthz").status == 200)
        // Space returns: the journal heals on its own.
        unlink(filler)
        var ready = false
        for _ in 0..<50 where !ready {
            usleep(100_000)
            ready = try connection.request(method: "GET", path: "/readyz").status == 200
        }
        #expect(ready)
        let request = try factory.request(type: .touch)
        #expect(try connection.post(body: request.body, headers: ["X-Dt-Signature: \(request.signature)"]).status == 200)
        acknowledged.append(request.eventID)
        let catalog = JournalCatalog(dataDirectory: data)
        var stored: [String] = []
        for name in catalog.segments() {
            catalog.forEachRecord(in: name) { stored.append(String(decoding: $0.eventID, as: UTF8.self)) }
        }
        #expect(Set(acknowledged).isSubset(of: Set(stored)))
        #expect(stored.count == Set(stored).count)
        withExtendedLifetime(server) {}
    }

    static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        (try? ChildProcess(executable: tool, arguments: arguments).waitForExit(timeout: 60)) ?? -1
    }
}
