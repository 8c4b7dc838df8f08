import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@testable import FastReceiverCrypto

/// `TLSConnection` on real sockets, against Python's `ssl` module and `openssl s_client`.
@Suite struct TLSConnectionTests {
    let certificates: TLSTestCertificates
    let context: TLSServerContext

    init() throws {
        certificates = try TLSTestCertificates()
        context = try TLSServerContext(certificateChainFile: certificates.chainFile, privateKeyFile: certificates.keyFile)
    }

    func client(_ server: TLSTestServer) -> TLSTestClient {
        TLSTestClient(port: server.port, caFile: certificates.caFile)
    }

    /// Runs `openssl s_client` against `server` with `arguments`; standard input is `input`.
    func sClient(_ server: TLSTestServer, _ arguments: [String], input: String = "") throws -> ToolProcess.Result {
        let result = try ToolProcess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", certificates.caFile, "-verify_return_error"] + arguments,
            input: input, timeout: 60)
        #expect(!result.timedOut, "s_client hung")
        return result
    }

    // MARK: handshake and data

    @Test("TLS 1.3 handshake with ALPN http/1.1; data echoes both ways")
    func handshakeAndEcho() throws {
        let server = try TLSTestServer(context: context)
        var client = client(server)
        client.alpn = ["h2", "http/1.1"]
        client.connections = [.init(echo: 100_000, closeNotify: true)]
        let outcome = try #require(try client.run().first)
        #expect(outcome.error == nil)
        #expect(outcome.version == "TLSv1.3")
        #expect(outcome.alpn == "http/1.1")
        #expect(outcome.echoed == true)
        let record = try #require(try server.finishedRecords(1).first)
        #expect(record.handshake == .done)
        #expect(record.protocolVersion == "TLSv1.3")
        #expect(record.applicationProtocol == "http/1.1")
        #expect(record.isSessionReused == false)
        #expect(record.bytesRead == 100_000 && record.bytesWritten == 100_000)
        #expect(record.end == .closed)
    }

    @Test("A client without ALPN is served, with no protocol chosen; both kinds of close end a read cleanly")
    func noALPNAndCloses() throws {
        let server = try TLSTestServer(context: context)
        var client = client(server)
        client.alpn = nil
        client.connections = [.init(echo: 10, closeNotify: true), .init(echo: 10, closeNotify: false)]
        let outcomes = try client.run()
        #expect(outcomes.map(\.error) == [nil, nil])
        #expect(outcomes.map(\.alpn) == [nil, nil])
        let records = try server.finishedRecords(2)
        #expect(records.map(\.applicationProtocol) == [nil, nil])
        // close_notify, then a bare TCP close: HTTP framing tells a cut request, so both are `.closed`.
        #expect(records.map(\.end) == [.closed, .closed])
    }

    @Test("A client whose ALPN list lacks http/1.1 gets the no_application_protocol alert")
    func alpnWithoutHTTP11() throws {
        let server = try TLSTestServer(context: context)
        var client = client(server)
        client.alpn = ["h2", "spdy/3"]
        let outcome = try #require(try client.run().first)
        #expect(outcome.error?.contains("alert no application protocol") == true, "\(outcome)")
        let record = try #require(try server.finishedRecords(1).first)
        guard case .failed(let error) = record.handshake else {
            Issue.record("the handshake did not fail: \(record)")
            return
        }
        #expect(error.reason == "no application protocol")
        #expect(record.isErrorQueueEmptyAfterFailure == true)
    }

    @Test("The chain's intermediate is sent: a client that trusts only the root verifies through it")
    func intermediateIsSent() throws {
        let leafOnly = try TLSServerContext(certificateChainFile: certificates.leafFile, privateKeyFile: certificates.keyFile)
        let withoutIntermediate = try TLSTestServer(context: leafOnly)
        let refused = try #require(try client(withoutIntermediate).run().first)
        #expect(refused.error?.contains("CERTIFICATE_VERIFY_FAILED") == true, "\(refused)")
        let server = try TLSTestServer(context: context)
        let accepted = try #require(try client(server).run().first)
        #expect(accepted.error == nil && accepted.echoed == true)
    }

    // MARK: policy

    @Test("TLS 1.2 uses an ECDHE AEAD suite in the client's order of preference, ChaCha20 included",
          arguments: ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"])
    func tls12ClientOrder(_ preferred: String) throws {
        let server = try TLSTestServer(context: context)
        var client = client(server)
        client.maximumVersion = "TLSv1_2"
        // The preferred suite first, then the one the server lists first: the client's order wins.
        client.ciphers = "\(preferred):ECDHE-ECDSA-AES128-GCM-SHA256"
        let outcome = try #require(try client.run().first)
        #expect(outcome.error == nil)
        #expect(outcome.version == "TLSv1.2")
        #expect(outcome.cipher == preferred)
        #expect(try server.finishedRecords(1).first?.cipherSuite == preferred)
    }

    @Test("An RSA certificate serves the ECDHE-RSA suites and refuses RSA key exchange, which has no forward secrecy")
    func rsaCertificate() throws {
        let rsa = try certificates.makeRSALeaf()
        let server = try TLSTestServer(context: try TLSServerContext(certificateChainFile: rsa.chainFile, privateKeyFile: rsa.keyFile))
        var client = client(server)
        client.maximumVersion = "TLSv1_2"
        client.ciphers = "ECDHE-RSA-CHACHA20-POLY1305"
        #expect(try client.run().first?.cipher == "ECDHE-RSA-CHACHA20-POLY1305")
        let refused = try sClient(server, ["-tls1_2", "-cipher", "AES128-GCM-SHA256"])
        #expect(refused.status != 0)
        let records = try server.finishedRecords(2)
        guard case .failed(let error) = records[1].handshake else {
            Issue.record("RSA key exchange was not refused: \(records[1])")
            return
        }
        #expect(error.reason == "no shared cipher")
    }

    @Test("Suites without forward secrecy or without AEAD are refused",
          arguments: ["AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA", "DHE-RSA-AES128-GCM-SHA256"])
    func weakSuitesRefused(_ suite: String) throws {
        let server = try TLSTestServer(context: context)
        let result = try sClient(server, ["-tls1_2", "-cipher", suite])
        #expect(result.status != 0)
        #expect(result.standardError.contains("handshake failure"), "\(result.standardError)")
        let record = try #require(try server.finishedRecords(1).first)
        guard case .failed(let error) = record.handshake else {
            Issue.record("\(suite) was accepted: \(record)")
            return
        }
        #expect(error.reason == "no shared cipher")
    }

    @Test("TLS 1.0 and 1.1 are refused even by a client that really offers them", arguments: ["-tls1", "-tls1_1"])
    func oldVersionsRefused(_ version: String) throws {
        let server = try TLSTestServer(context: context)
        // Debian's OpenSSL would not even offer TLS 1.1 at security level 2.
        let result = try sClient(server, [version, "-cipher", "DEFAULT:@SECLEVEL=0"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("alert protocol version"), "\(result.standardError)")
        let record = try #require(try server.finishedRecords(1).first)
        guard case .failed(let error) = record.handshake else {
            Issue.record("\(version) was accepted: \(record)")
            return
        }
        #expect(error.reason == "unsupported protocol")
    }

    @Test("Key exchange over X25519 or P-256; a client offering only P-384 is refused")
    func groups() throws {
        let server = try TLSTestServer(context: context)
        let x25519 = try sClient(server, ["-groups", "X25519"])
        #expect(x25519.standardOutput.contains("Server Temp Key: X25519"), "\(x25519.standardOutput)")
        let p256 = try sClient(server, ["-groups", "P-256"])
        #expect(p256.standardOutput.contains("Server Temp Key: ECDH, prime256v1"), "\(p256.standardOutput)")
        let p384 = try sClient(server, ["-groups", "P-384"])
        #expect(p384.status != 0)
        let records = try server.finishedRecords(3)
        #expect(records[0].handshake == .done && records[1].handshake == .done)
        guard case .failed = records[2].handshake else {
            Issue.record("P-384 alone was accepted: \(records[2])")
            return
        }
    }

    @Test("A client's renegotiation request is answered with no_renegotiation, never a second handshake")
    func renegotiationRefused() throws {
        let server = try TLSTestServer(context: context)
        let client = try ToolProcess(["openssl", "s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", certificates.caFile, "-tls1_2"])
        client.send("hello\n")
        #expect(waitUntil { server.records.first?.bytesRead == 6 })
        client.send("R\n")
        let record = try #require(try server.finishedRecords(1).first)
        let result = client.finish()
        // OpenSSL's client gives up on our no_renegotiation alert with a handshake_failure alert.
        #expect(result.standardError.contains("no renegotiation"), "\(result.standardError)")
        guard case .failed(let error)? = record.end else {
            Issue.record("the connection went on after the renegotiation request: \(record)")
            return
        }
        #expect(error.reason == "sslv3 alert handshake failure")
        #expect(record.isErrorQueueEmptyAfterFailure == true)
    }

    @Test("A TLS 1.3 key update that asks for one back is answered from inside a read")
    func keyUpdate() throws {
        let server = try TLSTestServer(context: context)
        let client = try ToolProcess(["openssl", "s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", certificates.caFile, "-tls1_3"])
        client.send("hello\n")
        #expect(waitUntil { server.records.first?.bytesRead == 6 })
        client.send("K\n") // KeyUpdate with update_requested: the server's read has to write one
        #expect(waitUntil { client.standardError.contains("KEYUPDATE") })
        client.send("world\n")
        #expect(waitUntil { server.records.first?.bytesRead == 12 })
        #expect(waitUntil { client.standardOutput.contains("world") }, "the echo after the key update never arrived")
        _ = client.finish()
        let record = try #require(try server.finishedRecords(1).first)
        #expect(record.end == .closed)
        #expect(record.bytesWritten == 12)
    }

    // MARK: resumption

    @Test("TLS 1.3 resumes with a session ticket")
    func tls13TicketResumption() throws {
        let server = try TLSTestServer(context: context)
        var client = client(server)
        client.connections = [.init(echo: 10), .init(resume: true, echo: 10)]
        let outcomes = try client.run()
        #expect(outcomes.map(\.reused) == [false, true])
        #expect(outcomes.map(\.echoed) == [true, true])
        #expect(try server.finishedRecords(2).map(\.isSessionReused) == [false, true])
    }

    @Test("A resumed TLS 1.3 connection gets a fresh ticket, so a client that uses each ticket once keeps resuming")
    func tls13FreshTicketOnResumption() throws {
        let server = try TLSTestServer(context: context)
        var client = client(server)
        client.connections = [.init(echo: 10), .init(resume: true, echo: 10), .init(resume: true, echo: 10)]
        let outcomes = try client.run()
        #expect(outcomes.map(\.reused) == [false, true, true])
        // Each connection left the client a session it had not offered: a new ticket.
        let ids = outcomes.compactMap(\.sessionID)
        #expect(ids.count == 3)
        #expect(Set(ids).count == 3, "\(ids)")
        #expect(try server.finishedRecords(3).map(\.isSessionReused) == [false, true, true])
    }

    @Test("TLS 1.2 resumes with a ticket, and from the server's session cache for a client that refuses tickets",
          arguments: [[], ["-no_ticket"]])
    func tls12Resumption(_ extra: [String]) throws {
        let server = try TLSTestServer(context: context)
        let result = try sClient(server, ["-tls1_2", "-reconnect"] + extra)
        let lines = result.standardOutput.split(separator: "\n").filter { $0.hasPrefix("New, ") || $0.hasPrefix("Reused, ") }
        #expect(lines.count == 6, "\(result.standardOutput)")
        #expect(lines.first?.hasPrefix("New, TLSv1.2") == true)
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("Reused, TLSv1.2") })
        #expect(try server.finishedRecords(6).map(\.isSessionReused) == [false, true, true, true, true, true])
        // A session sealed in a ticket is not also kept in the cache.
        #expect(context.cachedSessionCount == (extra.isEmpty ? 0 : 1))
    }

    @Test("The session cache holds at most its capacity")
    func sessionCacheCapacity() throws {
        let small = try TLSServerContext(certificateChainFile: certificates.chainFile, privateKeyFile: certificates.keyFile, sessionCacheCapacity: 2)
        let server = try TLSTestServer(context: small)
        var client = client(server)
        client.maximumVersion = "TLSv1_2"
        client.noTicket = true
        client.connections = Array(repeating: .init(echo: 10), count: 4)
        #expect(try client.run().map(\.echoed) == [true, true, true, true])
        _ = try server.finishedRecords(4)
        // Four sessions went in; OpenSSL 3.0 evicts down to one below capacity when it is full.
        #expect((1...2).contains(small.cachedSessionCount))
    }

    @Test("A rotated ticket key still opens tickets; two rotations retire them")
    func ticketKeyRotation() throws {
        let server = try TLSTestServer(context: context)
        var client = client(server)
        client.connections = [
            .init(echo: 10),
            .init(resume: true, waitBefore: true, echo: 10),
            .init(resume: true, waitBefore: true, echo: 10),
        ]
        let process = try client.start()
        #expect(waitUntil { server.records.filter(\.isFinished).count == 1 && process.standardOutput.contains("waiting") })
        try context.rotateTicketKeys()
        process.send("go\n")
        #expect(waitUntil { server.records.filter(\.isFinished).count == 2 })
        try context.rotateTicketKeys()
        try context.rotateTicketKeys()
        process.send("go\n")
        let outcomes = try TLSTestClient.outcomes(of: process.finish(timeout: 60))
        #expect(outcomes.map(\.reused) == [false, true, false])
        #expect(try server.finishedRecords(3).map(\.isSessionReused) == [false, true, false])
    }

    // MARK: non-blocking writes and closes

    @Test("A large write into a full socket waits for writability and delivers every byte, then close_notify")
    func largeWriteBlocks() throws {
        let count = 4 << 20
        let server = try TLSTestServer(context: context, mode: .stream(count: count), sendBufferSize: 4096)
        var client = client(server)
        client.connections = [.init(readAllAfterGo: true, receiveBuffer: 4096)]
        let process = try client.start()
        // The client reads nothing until the server has met a full socket.
        #expect(waitUntil { (server.records.first?.wantWriteCount ?? 0) > 0 })
        process.send("go\n")
        let outcome = try #require(try TLSTestClient.outcomes(of: process.finish(timeout: 60)).first)
        #expect(outcome.error == nil, "a missing close_notify would show here as SSLEOFError")
        #expect(outcome.received == count)
        #expect(outcome.patternMatches == true)
        let record = try #require(try server.finishedRecords(1).first)
        #expect(record.bytesWritten == count)
        #expect(record.end == .closed)
    }

    @Test("A peer that resets mid-stream fails the write with the socket's error, and nothing else")
    func resetDuringWrite() throws {
        let server = try TLSTestServer(context: context, mode: .stream(count: 64 << 20), sendBufferSize: 4096)
        var client = client(server)
        client.connections = [.init(readAll: true, receiveBuffer: 4096, resetAfter: 100_000)]
        let outcome = try #require(try client.run().first)
        #expect(outcome.error == nil)
        let record = try #require(try server.finishedRecords(1).first)
        guard case .socket(let error)? = record.writeFailure?.cause else {
            Issue.record("the write did not fail on the socket: \(record)")
            return
        }
        #expect(error == ECONNRESET || error == EPIPE)
        #expect(record.isErrorQueueEmptyAfterFailure == true)
    }

    @Test("Writing to a client that has gone fails as a closed peer instead of raising SIGPIPE, which would end this process")
    func writeAfterPeerLeft() throws {
        let server = try TLSTestServer(context: context, mode: .answerAfterClose)
        var client = client(server)
        client.connections = [.init(echo: 10)] // then a plain close: FIN, no close_notify
        #expect(try client.run().first?.echoed == true)
        let record = try #require(try server.finishedRecords(1).first)
        #expect(record.end == .closed)
        // The second send meets EPIPE; OpenSSL, having seen the peer's close, reports that instead.
        #expect(record.writesAfterClose == [.bytes(100), .failed(TLSConnectionError(operation: .write, cause: .peerClosed))])
    }

    // MARK: what is not TLS

    @Test("Plain HTTP on the TLS port fails the handshake and closes, and the server serves the next client")
    func plainHTTP() throws {
        let server = try TLSTestServer(context: context)
        let raw = try RawConnection(port: server.port, timeout: 30)
        raw.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let (_, closed) = raw.readAll()
        raw.close()
        #expect(closed)
        let record = try #require(try server.finishedRecords(1).first)
        guard case .failed(let error) = record.handshake else {
            Issue.record("plain HTTP did not fail the handshake: \(record)")
            return
        }
        #expect(error.reason == "http request")
        #expect(error.description == "The TLS handshake failed: http request.")
        #expect(record.isErrorQueueEmptyAfterFailure == true)
        #expect(try client(server).run().first?.echoed == true)
    }

    @Test("Junk, a truncated hello and a silent close each fail the handshake cleanly", arguments: [
        "junk", "huge record", "sslv2 hello", "truncated hello", "nothing",
    ])
    func notTLS(_ variant: String) throws {
        let bytes: [UInt8]
        switch variant {
        case "junk": bytes = (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }
        case "huge record": bytes = [0x16, 0x03, 0x01, 0xFF, 0xFF] + [UInt8](repeating: 0x41, count: 100)
        case "sslv2 hello": bytes = [0x80, 0x2E, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10] + [UInt8](repeating: 0x01, count: 37)
        case "truncated hello": bytes = [0x16, 0x03, 0x01, 0x00, 0xC8, 0x01, 0x00, 0x00, 0xC4, 0x03, 0x03] + [UInt8](repeating: 0x00, count: 20)
        default: bytes = []
        }
        let server = try TLSTestServer(context: context)
        let raw = try RawConnection(port: server.port, timeout: 30)
        raw.send(bytes)
        // The last two wait for more; closing our side is what ends them.
        if variant == "truncated hello" || variant == "nothing" { shutdown(raw.descriptor, Int32(SHUT_WR)) }
        #expect(raw.readAll().closed)
        raw.close()
        let record = try #require(try server.finishedRecords(1).first)
        guard case .failed(let error) = record.handshake else {
            Issue.record("\(variant) did not fail the handshake: \(record)")
            return
        }
        if variant == "truncated hello" || variant == "nothing" {
            #expect(error.cause == .peerClosed)
            #expect(error.description == "The peer closed the connection during the TLS handshake.")
        }
        #expect(record.isErrorQueueEmptyAfterFailure == true)
    }

    // MARK: reload

    @Test("A new context serves new connections while an open one keeps the context it started with")
    func contextReplacement() throws {
        var first: TLSServerContext? = try TLSServerContext(certificateChainFile: certificates.chainFile, privateKeyFile: certificates.keyFile)
        let server = try TLSTestServer(context: try #require(first))
        var holder = client(server)
        holder.connections = [.init(echo: 50_000, pauseAfterEcho: true)]
        let held = try holder.start()
        #expect(waitUntil { held.standardOutput.contains("paused") })

        let other = try TLSTestCertificates()
        server.replaceContext(try TLSServerContext(certificateChainFile: other.chainFile, privateKeyFile: other.keyFile))
        first = nil // the open connection is now the old context's only owner

        var newClient = client(server)
        newClient.caFile = other.caFile
        #expect(try newClient.run().first?.echoed == true)
        #expect(try client(server).run().first?.error?.contains("CERTIFICATE_VERIFY_FAILED") == true)

        held.send("go\n")
        let outcome = try #require(try TLSTestClient.outcomes(of: held.finish(timeout: 60)).first)
        #expect(outcome.echoed == true && outcome.echoedAfterPause == true)
    }

    // MARK: an outside check

    @Test("sslyze finds the policy compliant with Mozilla's intermediate profile, and its probes break nothing")
    func sslyzeCompliance() throws {
        guard (try? ToolProcess.run(["sslyze", "--help"]))?.status == 0 else {
            print("skipped: sslyze (pip install sslyze) is not installed")
            return
        }
        let server = try TLSTestServer(context: context)
        let result = try ToolProcess.run(["sslyze", "--certinfo_ca_file", certificates.caFile, "127.0.0.1:\(server.port)"], timeout: 300)
        #expect(!result.timedOut)
        #expect(result.status == 0, "\(result.standardOutput)")
        #expect(result.standardOutput.contains("127.0.0.1:\(server.port): OK - Compliant."), "\(result.standardOutput)")
        // Every probe, SSL 2.0 hellos and Heartbleed included, ended, and the server still serves.
        #expect(waitUntil { server.records.allSatisfy(\.isFinished) })
        #expect(try client(server).run().first?.echoed == true)
    }
}
