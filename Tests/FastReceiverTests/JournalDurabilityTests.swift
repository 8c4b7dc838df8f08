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
        let raw = try RawConnection(port: server.port)
        defer { raw.close() }
        raw.send(TestServer.raw(request))
        // The batch is written and its sync held...
        #expect(waitUntil { io.operations.suffix(2) == ["write", "fdatasync"] })
        // ...and while it is held, no answer may come: an absence, so this waits the whole half second.
        #expect(raw.staysQuiet(for: .milliseconds(500)))
        io.openGate()
        #expect(raw.readResponses(1) == [200])
        let answered = ContinuousClock.now
        #expect(try #require(io.lastSyncFinished) <= answered)
        #expect(io.operations.suffix(3) == ["write", "fdatasync", "fdatasync done"])
    }

    @Test("A client that half-closes after its request still gets the 200 once the event is durable")
    func halfClose() throws {
        let io = RecordingFileIO()
        let server = try TestServer(threads: 1, io: io)
        io.closeGate()
        let raw = try RawConnection(port: server.port)
        defer { raw.close() }
        raw.send(TestServer.raw(try server.factory.request(type: .touch)))
        shutdown(raw.descriptor, Int32(SHUT_WR))
        #expect(waitUntil { io.operations.suffix(2) == ["write", "fdatasync"] })
        // The half-close ends nothing while the sync is held, neither by an answer nor by a close:
        // an absence, so this waits the whole half second.
        #expect(raw.staysQuiet(for: .milliseconds(500)))
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
        let first = try RawConnection(port: server.port)
        let second = try RawConnection(port: server.port)
        defer { first.close(); second.close() }
        first.send(TestServer.raw(request))
        // The first copy's batch is held at its sync...
        #expect(waitUntil { io.operations.suffix(2) == ["write", "fdatasync"] })
        second.send(TestServer.raw(request))
        // ...the second is known for a duplicate of it...
        #expect(waitUntil { server.receiver.registry.totals.duplicates == 1 })
        // ...and is not answered before the first copy is durable: an absence, so this waits the
        // whole half second.
        #expect(second.staysQuiet(for: .milliseconds(500)))
        io.openGate()
        #expect(first.readResponses(1) == [200])
        #expect(second.readResponses(1) == [200])
        #expect(server.storedLines().count == 1)
    }

    @Test("Copies of one event racing on many connections across workers are stored once")
    func concurrentDuplicates() throws {
        let server = try TestServer(threads: 2)
        let request = try server.factory.request(type: .co2)
        let connections = try (0..<24).map { _ in try RawConnection(port: server.port) }
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
        #expect(try waitUntil { try connection.request(method: "GET", path: "/readyz").status == 200 })
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
