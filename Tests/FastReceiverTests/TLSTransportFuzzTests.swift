import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiver

/// Random bytes and random splits into the HTTPS port, seeded: junk, real TLS sessions whose
/// records arrive cut at random points (driven through Python's `ssl.MemoryBIO`, so the test
/// decides every byte boundary on the wire), and the same sessions with random bytes flipped.
/// Unmutated sessions must be answered exactly; the rest must end in an answer or a close, never
/// a crash or a stall; and the server must keep serving a plain client throughout.
///
/// `FAST_RECEIVER_TLS_FUZZ_SECONDS` runs it for that long instead of the default iterations;
/// `FAST_RECEIVER_TLS_FUZZ_SEED` picks the seed (each run prints the one it used).
@Suite struct TLSTransportFuzzTests {
    @Test("Seeded random bytes and random splits into the TLS port: never a crash, a stall or a wrong answer")
    func randomBytesAndSplits() throws {
        let certificates = try TLSTestCertificates()
        let server = try TestServer(threads: 2) {
            $0.tls = TLSFiles(certificateChainFile: certificates.chainFile, privateKeyFile: certificates.keyFile)
            // Short deadlines, so that a session whose flipped bytes leave the server waiting
            // (for the rest of a record, say) is cut well within the driver's 10 s.
            $0.server.headerTimeoutMilliseconds = 2000
            $0.server.idleTimeoutMilliseconds = 2000
        }
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["FAST_RECEIVER_TLS_FUZZ_SEED"].flatMap(Int.init) ?? Int.random(in: 0..<1_000_000)
        let seconds = environment["FAST_RECEIVER_TLS_FUZZ_SECONDS"].flatMap(Double.init) ?? 0
        let arguments = ["\(server.port)", certificates.caFile, "\(seed)", seconds > 0 ? "0" : "150", "\(seconds)"]
        let result = try ToolProcess.run(["python3", "-c", Self.driver] + arguments, timeout: max(300, seconds * 2))
        #expect(!result.timedOut, "seed \(seed): the driver hung")
        let line = try #require(result.standardOutput.split(separator: "\n").last, "seed \(seed): \(result.standardError)")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(line.utf8))
        #expect(summary.failures.isEmpty, "seed \(seed): \(summary.failures.prefix(5))")
        #expect(summary.iterations >= 150 || seconds > 0)
        #expect(summary.exact > 0)
        print("TLS transport fuzz: seed \(seed), \(summary.iterations) sessions (\(summary.exact) exact), \(summary.byMode)")
    }

    struct Summary: Decodable {
        var iterations: Int
        var exact: Int
        var byMode: [String: Int]
        var failures: [String]
    }

    static let driver = #"""
        import json, random, socket, ssl, sys, time

        port, ca, seed, iterations, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        context = ssl.create_default_context(cafile=ca)
        context.set_alpn_protocols(["http/1.1"])
        HEALTH = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        failures, by_mode, exact = [], {}, 0

        def send_split(sock, data, rng, flip):
            data = bytearray(data)
            if flip and data:
                for _ in range(rng.randint(1, 3)):
                    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            position = 0
            while position < len(data):
                step = rng.choice([1, 2, 3, 5, 7, 64, 300, 1500, 20000])
                sock.sendall(data[position:position + step])
                position += step

        def answers(text):
            return text.count(b"HTTP/1.1 200 OK")

        def session(rng, mode):
            """One connection; returns (healthz answers seen, expected when exact) or raises."""
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            try:
                if mode == "junk":
                    junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4000)))
                    if rng.random() < 0.5:  # a record header announcing a handshake, then junk
                        junk = bytes([0x16, 0x03, rng.choice([1, 3]), rng.randrange(256), rng.randrange(256)]) + junk
                    send_split(sock, junk, rng, False)
                    while sock.recv(65536):
                        pass
                    return None
                flip = mode == "flipped"
                incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
                tls = context.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
                count = rng.randint(1, 6)
                plaintext = HEALTH * count
                if mode == "plaintext-junk":
                    plaintext = bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000)))
                handshaken, sent, received = False, False, b""
                while True:
                    if not handshaken:
                        try:
                            tls.do_handshake()
                            handshaken = True
                        except ssl.SSLWantReadError:
                            pass
                    if handshaken and not sent:
                        tls.write(plaintext)
                        sent = True
                    pending = outgoing.read()
                    if pending:
                        send_split(sock, pending, rng, flip and rng.random() < 0.5)
                    if sent:
                        try:
                            while chunk := tls.read(65536):
                                received += chunk
                        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                            pass
                        if mode == "split" and answers(received) == count:
                            return (answers(received), count)
                    data = sock.recv(65536)
                    if not data:
                        incoming.write_eof()
                        return (answers(received), count) if mode == "split" else None
                    incoming.write(data)
            finally:
                sock.close()

        def healthy():
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                    tls.sendall(HEALTH)
                    return tls.recv(65536).startswith(b"HTTP/1.1 200 OK")

        modes = ["junk", "split", "split", "flipped", "plaintext-junk"]
        start, index = time.monotonic(), 0
        while (index < iterations) if iterations else (time.monotonic() - start < seconds):
            rng = random.Random(seed * 1000003 + index)
            mode = rng.choice(modes)
            by_mode[mode] = by_mode.get(mode, 0) + 1
            try:
                outcome = session(rng, mode)
                if mode == "split":
                    if outcome[0] != outcome[1]:
                        failures.append(f"session {index} ({mode}): {outcome[0]} of {outcome[1]} answers")
                    else:
                        exact += 1
            except (ssl.SSLError, ConnectionError) as error:
                if mode == "split":
                    failures.append(f"session {index} ({mode}): {type(error).__name__}: {error}")
            except socket.timeout:
                failures.append(f"session {index} ({mode}): the server neither answered nor closed within 10 s")
            if index % 25 == 0 and not healthy():
                failures.append(f"after session {index}: a plain HTTPS client was not served")
            index += 1
        if not healthy():
            failures.append("at the end: a plain HTTPS client was not served")
        print(json.dumps({"iterations": index, "exact": exact, "byMode": by_mode, "failures": failures}), flush=True)
        """#
}
