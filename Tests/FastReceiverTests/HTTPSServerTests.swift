import FastReceiverCrypto
import FastReceiverTestSupport
import Foundation
import Glibc
import Testing

@testable import FastReceiver
@testable import FastReceiverTools
@testable import FastReceiverVerification

/// The server with `--tls-cert`/`--tls-key`, over real TLS sockets: Python's `ssl` for HTTP
/// over TLS, `openssl s_client` for clients Python will not be, raw TCP for junk and stalls.
@Suite(.serialized) struct HTTPSServerTests {
    let certificates: TLSTestCertificates

    init() throws {
        certificates = try TLSTestCertificates()
    }

    func server(threads: Int = 2, configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> TestServer {
        try TestServer(threads: threads) {
            $0.tls = TLSFiles(certificateChainFile: certificates.chainFile, privateKeyFile: certificates.keyFile)
            configure(&$0)
        }
    }

    func client(_ server: TestServer, _ steps: [HTTPSTestClient.Step] = []) -> HTTPSTestClient {
        HTTPSTestClient(port: server.port, caFile: certificates.caFile, steps: steps)
    }

    /// `openssl s_client` against the server with `arguments`, sending nothing.
    func sClient(port: Int, _ arguments: [String]) throws -> ToolProcess.Result {
        let result = try ToolProcess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", certificates.caFile, "-verify_return_error"] + arguments,
            input: "", timeout: 30)
        #expect(!result.timedOut, "s_client hung")
        return result
    }

    func signedRequests(_ server: TestServer, _ count: Int) throws -> [UInt8] {
        try (0..<count).flatMap { _ in try server.signedRequest().1 }
    }

    @Test("Keep-alive posts, then pipelined posts split across many writes, all answered 200 over TLS 1.3 with ALPN http/1.1")
    func keepAliveAndPipelining() throws {
        let server = try server()
        var steps = try (0..<3).map { _ in HTTPSTestClient.Step(try server.signedRequest().1) }
        steps.append(HTTPSTestClient.Step(try signedRequests(server, 5), answers: 5, pieces: 9))
        let outcome = try client(server, steps).run()
        #expect(outcome.error == nil)
        #expect(outcome.version == "TLSv1.3")
        #expect(outcome.alpn == "http/1.1")
        #expect(outcome.statuses == Array(repeating: 200, count: 8))
        #expect(server.storedLines().count == 8)
    }

    @Test("Pipelined requests larger than a TLS record, sent a few bytes at a time, are all answered")
    func manySmallWrites() throws {
        let server = try server()
        let outcome = try client(server, [HTTPSTestClient.Step(try signedRequests(server, 20), answers: 20, pieces: 400)]).run()
        #expect(outcome.error == nil)
        #expect(outcome.statuses == Array(repeating: 200, count: 20))
    }

    @Test("TLS 1.0 and 1.1 are refused even from a client that offers them; the next client is served", arguments: ["-tls1", "-tls1_1"])
    func oldVersionsRefused(_ version: String) throws {
        let server = try server()
        // Debian's OpenSSL would not even offer TLS 1.1 at security level 2.
        let result = try sClient(port: server.port, [version, "-cipher", "DEFAULT:@SECLEVEL=0"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("alert protocol version"), "\(result.standardError)")
        #expect(try client(server, [.init(try server.signedRequest().1)]).run().statuses == [200])
    }

    @Test("TLS 1.2 suites without forward secrecy or AEAD are refused", arguments: ["AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256"])
    func weakSuitesRefused(_ suite: String) throws {
        let server = try server()
        let result = try sClient(port: server.port, ["-tls1_2", "-cipher", suite])
        #expect(result.status != 0)
        #expect(result.standardError.contains("handshake failure"), "\(result.standardError)")
    }

    @Test("TLS 1.2 with an ECDHE AEAD suite is served")
    func tls12Served() throws {
        let server = try server()
        let result = try ToolProcess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", certificates.caFile, "-verify_return_error",
             "-tls1_2", "-alpn", "http/1.1", "-quiet"],
            input: "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout: 30)
        #expect(!result.timedOut)
        #expect(result.standardOutput.hasPrefix("HTTP/1.1 200 OK"), "\(result.standardOutput) \(result.standardError)")
    }

    @Test("ALPN: http/1.1 is chosen from a list that has it; a list without it gets no_application_protocol; no ALPN is served")
    func alpn() throws {
        let server = try server()
        var client = client(server, [.init(try server.signedRequest().1)])
        client.alpn = ["h2", "http/1.1"]
        let chosen = try client.run()
        #expect(chosen.alpn == "http/1.1")
        #expect(chosen.statuses == [200])
        client.alpn = ["h2"]
        let refused = try client.run()
        #expect(refused.error?.contains("no application protocol") == true, "\(refused.error ?? "served")")
        client.alpn = nil
        client.steps = [.init(try server.signedRequest().1)]
        let without = try client.run()
        #expect(without.alpn == nil)
        #expect(without.statuses == [200])
    }

    @Test("A handshake that stalls (half a ClientHello, or nothing) is cut at the header deadline while others are served")
    func stalledHandshake() throws {
        let server = try server { $0.server.headerTimeoutMilliseconds = 1000 }
        let partial = try RawConnection(port: server.port, timeout: 15)
        // A TLS record header announcing 512 bytes of handshake, then only a few of them.
        partial.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03])
        let silent = try RawConnection(port: server.port, timeout: 15)
        let served = try client(server, [.init(try server.signedRequest().1)]).run()
        #expect(served.statuses == [200])
        let start = Date()
        for connection in [partial, silent] {
            let end = connection.readAll()
            #expect(end.closed, "a stalled handshake was never cut")
            #expect(!end.text.contains("HTTP/1.1"), "plaintext was sent on the TLS port")
            connection.close()
        }
        #expect(Date().timeIntervalSince(start) < 12)
    }

    @Test("Plain HTTP and junk on the TLS port are refused with a close, never an answer, while another client is served")
    func plainAndJunkRefused() throws {
        let server = try server()
        let plain = try RawConnection(port: server.port, timeout: 10)
        plain.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        var generator = SystemRandomNumberGenerator()
        let junk = try RawConnection(port: server.port, timeout: 10)
        junk.send((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        // A record header that claims a handshake, then junk inside it.
        let framedJunk = try RawConnection(port: server.port, timeout: 10)
        framedJunk.send([0x16, 0x03, 0x01, 0x00, 0x40] + (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let served = try client(server, [.init(try server.signedRequest().1), .init(try server.signedRequest().1)]).run()
        #expect(served.statuses == [200, 200])
        for connection in [plain, junk, framedJunk] {
            let end = connection.readAll()
            #expect(end.closed)
            #expect(!end.text.contains("HTTP/1.1 200"))
            connection.close()
        }
        #expect(try client(server, [.init(try server.signedRequest().1)]).run().statuses == [200])
    }

    @Test("The certificate's expiry is a metric, and a failed reload is counted while the old pair stays")
    func expiryAndReloadFailureMetrics() throws {
        let server = try server()
        let metrics = server.receiver.registry.render()
        #expect(metrics.contains("fast_receiver_tls_certificate_expiry_timestamp_seconds \(certificates.leafNotAfter)\n"), "\(metrics)")
        #expect(metrics.contains("fast_receiver_tls_reload_failures_total 0\n"))
        // The files stay in place; only the key is replaced by one that does not match.
        try FileManager.default.removeItem(atPath: certificates.keyFile)
        try FileManager.default.copyItem(atPath: certificates.otherKeyFile, toPath: certificates.keyFile)
        #expect(throws: TLSContextError.self) { try server.receiver.reloadCertificate() }
        #expect(server.receiver.registry.render().contains("fast_receiver_tls_reload_failures_total 1\n"))
        #expect(try client(server, [.init(try server.signedRequest().1)]).run().statuses == [200])
    }

    @Test("A key that does not match the certificate refuses to start with one sentence and exit 2")
    func mismatchedPairRefusesToStart() throws {
        let child = try ChildProcess(
            arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--tls-cert", certificates.chainFile, "--tls-key", certificates.otherKeyFile],
            environment: ShutdownTests.environment())
        #expect(child.waitForExit(timeout: 30) == 2)
        let lines = child.standardError.split(separator: "\n").filter { $0.hasPrefix("fast-receiver: ") }
        #expect(lines == ["fast-receiver: The TLS private key in \(certificates.otherKeyFile) does not belong to the certificate in \(certificates.chainFile)."])
    }

    /// Waits until `text` appears in the child's standard error (a generous deadline only a
    /// hang would miss).
    func waitForLog(_ child: ChildProcess, _ text: String) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if child.standardError.contains(text) { return true }
            usleep(50_000)
        }
        return false
    }

    /// Waits until the tool prints `line` (a generous deadline only a hang would miss).
    func waitForOutput(_ tool: ToolProcess, _ line: String) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if tool.standardOutput.contains(line) { return true }
            usleep(20_000)
        }
        return false
    }

    /// A file's certificate serial number in upper-case hex, as `openssl x509 -serial` reads it.
    func serial(of certificateFile: String) throws -> String {
        let result = try ToolProcess.run(["openssl", "x509", "-noout", "-serial", "-in", certificateFile])
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "").uppercased()
    }

    @Test("SIGHUP: new connections get the new pair, an open one keeps working; a broken pair is refused, logged and counted")
    func reloadWithSIGHUP() throws {
        let chain = certificates.path("served-chain.pem")
        let key = certificates.path("served-key.pem")
        try FileManager.default.copyItem(atPath: certificates.chainFile, toPath: chain)
        try FileManager.default.copyItem(atPath: certificates.keyFile, toPath: key)
        let child = try ChildProcess(arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--threads", "2", "--tls-cert", chain, "--tls-key", key],
                                     environment: ShutdownTests.environment())
        defer { child.signal(SIGKILL) }
        let port = try child.waitForPort()
        let factory = DTEventFactory(secret: SignatureSecret(TestServer.secret)!)
        func request() throws -> [UInt8] { TestServer.raw(try factory.request(type: .touch)) }
        let firstSerial = try serial(of: certificates.leafFile)

        var old = HTTPSTestClient(port: port, caFile: certificates.caFile, steps: [.init(try request()), .init(try request(), waitBefore: true)])
        let oldProcess = try old.start()
        #expect(waitForOutput(oldProcess, "waiting"))

        let rsa = try certificates.makeRSALeaf()
        let rsaSerial = try serial(of: rsa.chainFile)
        #expect(rsaSerial != firstSerial)
        try FileManager.default.removeItem(atPath: chain)
        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.copyItem(atPath: rsa.chainFile, toPath: chain)
        try FileManager.default.copyItem(atPath: rsa.keyFile, toPath: key)
        child.signal(SIGHUP)
        #expect(waitForLog(child, "TLS certificate reloaded"))
        let fresh = try HTTPSTestClient(port: port, caFile: certificates.caFile, steps: [.init(try request())]).run()
        #expect(fresh.serial == rsaSerial)
        #expect(fresh.statuses == [200])

        oldProcess.send("\n")
        let oldOutcome = try HTTPSTestClient.outcome(of: oldProcess.finish(timeout: 30))
        #expect(oldOutcome.serial == firstSerial)
        #expect(oldOutcome.statuses == [200, 200])

        // A key that belongs to another certificate: refused, logged, counted; the RSA pair stays.
        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.copyItem(atPath: certificates.otherKeyFile, toPath: key)
        child.signal(SIGHUP)
        #expect(waitForLog(child, "TLS certificate not reloaded"))
        old = HTTPSTestClient(port: port, caFile: certificates.caFile, steps: [.init(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8))])
        let after = try old.run()
        #expect(after.serial == rsaSerial)
        #expect(after.statuses == [200])
        let metrics = try ToolProcess.run(["python3", "-c", """
            import ssl, urllib.request
            context = ssl.create_default_context(cafile="\(certificates.caFile)")
            print(urllib.request.urlopen("https://127.0.0.1:\(port)/metrics", context=context, timeout=20).read().decode())
            """])
        #expect(metrics.standardOutput.contains("fast_receiver_tls_reload_failures_total 1\n"), "\(metrics.standardError)")
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 30) == 0)
    }

    @Test("SIGTERM with TLS connections open: a request in progress is answered with Connection: close, an idle one is closed; exit 0")
    func sigtermWithTLSConnections() throws {
        let child = try ChildProcess(
            arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--tls-cert", certificates.chainFile, "--tls-key", certificates.keyFile],
            environment: ShutdownTests.environment())
        defer { child.signal(SIGKILL) }
        let port = try child.waitForPort()
        let factory = DTEventFactory(secret: SignatureSecret(TestServer.secret)!)
        let event = try factory.request(type: .temperature)
        // The head asks for 100 Continue: its arrival proves the server has read the head.
        let head = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nX-Dt-Signature: \(event.signature)\r\nContent-Length: \(event.body.count)\r\n\r\n"
        var busy = HTTPSTestClient(port: port, caFile: certificates.caFile, steps: [.init(Array(head.utf8)), .init(event.body, waitBefore: true)])
        busy.waitForClose = true
        var idle = HTTPSTestClient(port: port, caFile: certificates.caFile, steps: [.init(TestServer.raw(try factory.request(type: .touch))), .init([], answers: 0, waitBefore: true)])
        idle.waitForClose = true
        let busyProcess = try busy.start()
        let idleProcess = try idle.start()
        #expect(waitForOutput(busyProcess, "waiting"))
        #expect(waitForOutput(idleProcess, "waiting"))
        child.signal(SIGTERM)
        #expect(waitForLog(child, "draining"))
        busyProcess.send("\n")
        idleProcess.send("\n")
        let busyOutcome = try HTTPSTestClient.outcome(of: busyProcess.finish(timeout: 30))
        #expect(busyOutcome.statuses == [100, 200])
        #expect(busyOutcome.closes.last == true)
        #expect(busyOutcome.closedByServer == true)
        let idleOutcome = try HTTPSTestClient.outcome(of: idleProcess.finish(timeout: 30))
        #expect(idleOutcome.statuses == [200])
        #expect(idleOutcome.closedByServer == true)
        #expect(child.waitForExit(timeout: 30) == 0)
    }

    @Test("send over https: one by one and as an open-loop load test, trusting --ca-file; refused without it, served with --insecure")
    func sendOverHTTPS() throws {
        let server = try server()
        let environment = ShutdownTests.environment()
        let oneByOne = try ChildProcess(arguments: ["send", "--url", server.url, "--count", "5", "--ca-file", certificates.caFile], environment: environment)
        #expect(oneByOne.waitForExit(timeout: 60) == 0, "\(oneByOne.standardOutput) \(oneByOne.standardError)")
        #expect(oneByOne.standardOutput.split(separator: "\n").filter { $0.hasPrefix("200 ") }.count == 5)
        let load = try ChildProcess(arguments: ["send", "--url", server.url, "--rate", "200", "--count", "100", "--concurrency", "4",
                                                "--ca-file", certificates.caFile, "--json"], environment: environment)
        #expect(load.waitForExit(timeout: 60) == 0, "\(load.standardOutput) \(load.standardError)")
        #expect(load.standardOutput.contains("\"200\":100"), "\(load.standardOutput)")
        #expect(server.storedLines().count == 105)

        let untrusted = try ChildProcess(arguments: ["send", "--url", server.url, "--count", "1"], environment: environment)
        #expect(untrusted.waitForExit(timeout: 60) == 1)
        #expect(untrusted.standardOutput.contains("the certificate is not trusted"), "\(untrusted.standardOutput)")
        let insecure = try ChildProcess(arguments: ["send", "--url", server.url, "--count", "1", "--insecure"], environment: environment)
        #expect(insecure.waitForExit(timeout: 60) == 0)
    }

    @Test("The client checks the name: the certificate's IP address and DNS name verify, another address does not")
    func clientChecksTheName() throws {
        let server = try server { $0.server.host = "0.0.0.0" }
        let trust = try TLSClientContext(caFile: certificates.caFile)
        for host in ["127.0.0.1", "localhost"] {
            let connection = HTTPClientConnection(endpoint: try .init(url: "https://\(host):\(server.port)/healthz"), tls: trust)
            #expect(try connection.request(method: "GET").status == 200, "\(host)")
        }
        // 127.0.0.2 reaches the same socket, but the certificate names only 127.0.0.1.
        let other = HTTPClientConnection(endpoint: try .init(url: "https://127.0.0.2:\(server.port)/healthz"), tls: trust)
        #expect(throws: ClientError.self) { try other.request(method: "GET") }
        do {
            _ = try other.request(method: "GET")
        } catch {
            #expect("\(error)".contains("the certificate is not trusted: IP address mismatch"), "\(error)")
        }
        let insecure = HTTPClientConnection(endpoint: try .init(url: "https://127.0.0.2:\(server.port)/healthz"),
                                            tls: try TLSClientContext(verifiesPeer: false))
        #expect(try insecure.request(method: "GET").status == 200)
    }

    @Test("healthcheck speaks https by itself when serve's environment has the certificate and key; a given URL is verified")
    func healthcheckOverHTTPS() throws {
        let server = try server()
        let environment = ShutdownTests.environment([
            "PORT": "\(server.port)", "HOST": "127.0.0.1",
            "FAST_RECEIVER_TLS_CERT": certificates.chainFile, "FAST_RECEIVER_TLS_KEY": certificates.keyFile,
        ])
        let local = try ChildProcess(arguments: ["healthcheck"], environment: environment)
        #expect(local.waitForExit(timeout: 30) == 0, "\(local.standardError)")
        let url = "https://127.0.0.1:\(server.port)/healthz"
        let verified = try ChildProcess(arguments: ["healthcheck", "--url", url, "--ca-file", certificates.caFile], environment: environment)
        #expect(verified.waitForExit(timeout: 30) == 0, "\(verified.standardError)")
        let untrusted = try ChildProcess(arguments: ["healthcheck", "--url", url], environment: environment)
        #expect(untrusted.waitForExit(timeout: 30) == 1)
        #expect(untrusted.standardError.contains("the certificate is not trusted: unable to get local issuer certificate"), "\(untrusted.standardError)")
    }

    @Test("A burst of 3 000 TLS connections open at once, each posting an event: every one answered 200, peak RSS within 256 MiB")
    func burstRSS() throws {
        let child = try ChildProcess(
            // One Python thread makes all 3 000 handshakes, which on a busy machine can take longer
            // than the default header deadline that each handshake counts against.
            arguments: ["serve", "--host", "127.0.0.1", "--port", "0", "--threads", "2", "--header-timeout", "300",
                        "--tls-cert", certificates.chainFile, "--tls-key", certificates.keyFile],
            environment: ShutdownTests.environment())
        defer { child.signal(SIGKILL) }
        let port = try child.waitForPort()
        let factory = DTEventFactory(secret: SignatureSecret(TestServer.secret)!)
        let requests = try (0..<3000).map { _ in Data(TestServer.raw(try factory.request(type: .temperature))).base64EncodedString() }
        let requestFile = try certificates.write("burst-requests", Data(requests.joined(separator: "\n").utf8))
        let result = try ToolProcess.run(["python3", "-c", Self.burstScript, "\(port)", certificates.caFile, requestFile], timeout: 300)
        #expect(!result.timedOut)
        #expect(result.standardOutput.contains("{\"200\": 3000}"), "\(result.standardOutput) \(result.standardError)")
        let status = try String(contentsOfFile: "/proc/\(child.processIdentifier)/status", encoding: .utf8)
        let peakKiB = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
            .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) })
        #expect(peakKiB <= 256 * 1024, "peak RSS \(peakKiB) KiB")
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 60) == 0)
    }

    /// Opens one TLS connection per request line, all at once; each sends its request and reads
    /// its answer, and none closes until every one has been answered. Prints the statuses counted.
    static let burstScript = #"""
        import asyncio, base64, collections, json, resource, ssl, sys

        port, ca, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        requests = [base64.b64decode(line) for line in open(path).read().split()]
        context = ssl.create_default_context(cafile=ca)
        statuses = collections.Counter()

        async def post(request, answered, everyone):
            reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                statuses[int(head.split(b" ")[1])] += 1
            finally:
                answered()
                await everyone.wait()
                writer.close()

        async def main():
            everyone = asyncio.Event()
            left = [len(requests)]
            def answered():
                left[0] -= 1
                if left[0] == 0:
                    everyone.set()
            results = await asyncio.gather(*(post(r, answered, everyone) for r in requests), return_exceptions=True)
            errors = collections.Counter(type(r).__name__ for r in results if isinstance(r, Exception))
            print(json.dumps(dict(statuses)), json.dumps(dict(errors)), flush=True)

        asyncio.run(main())
        """#
}
