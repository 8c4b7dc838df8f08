import FastReceiverTestSupport
import Foundation
import Testing

/// A TLS client in Python's `ssl` module (OpenSSL underneath, as for most clients DT could
/// use), run as a child process. It makes the connections a test describes, one after another,
/// reusing the previous session when asked, and prints what each saw as JSON.
struct TLSTestClient {
    /// One connection's plan.
    struct Connection: Encodable {
        /// Offer the session of the previous connection.
        var resume = false
        /// Before connecting, print "waiting" and wait for a line on standard input.
        var waitBefore = false
        /// Send this many pattern bytes in 16 KiB pieces, reading each piece's echo back.
        var echo = 0
        /// After the echo, print "paused", wait for a line on standard input, then echo again
        /// on the same connection.
        var pauseAfterEcho = false
        /// After the handshake, print "ready", wait for a line on standard input, then read
        /// until the server closes.
        var readAllAfterGo = false
        /// Read until the server closes, straight after the handshake.
        var readAll = false
        /// SO_RCVBUF before connecting (small, to make the server's writes block).
        var receiveBuffer: Int?
        /// Close with a TCP reset (SO_LINGER 0) once this many bytes have been read.
        var resetAfter: Int?
        /// Send close_notify before closing (otherwise the socket is just closed).
        var closeNotify = false
    }

    /// What one connection saw.
    struct Outcome: Decodable {
        var version: String?
        var cipher: String?
        var alpn: String?
        var reused: Bool?
        /// The id of the session the client holds when it closes (hex): a fresh ticket from
        /// the server gives a new one.
        var sessionID: String?
        var echoed: Bool?
        var echoedAfterPause: Bool?
        var received: Int?
        var patternMatches: Bool?
        /// The client's exception, e.g. "SSLError: [SSL: TLSV1_ALERT_NO_APPLICATION_PROTOCOL] ...".
        var error: String?
    }

    var port: Int
    var caFile: String
    /// ALPN protocols to offer; nil offers none.
    var alpn: [String]? = ["http/1.1"]
    /// "TLSv1_2" to stop at TLS 1.2.
    var maximumVersion: String?
    /// OpenSSL cipher string for TLS 1.2 and below.
    var ciphers: String?
    /// Refuse session tickets, so TLS 1.2 resumption has to use the server's session cache.
    var noTicket = false
    var connections: [Connection] = [Connection(echo: 5)]

    /// Starts the client; the caller drives its standard input and finishes it.
    func start() throws -> ToolProcess {
        let configuration = try String(decoding: JSONEncoder().encode(Configuration(client: self)), as: UTF8.self)
        return try ToolProcess(["python3", "-c", Self.script, configuration])
    }

    /// Runs the client to the end and returns one outcome per connection.
    func run() throws -> [Outcome] {
        try Self.outcomes(of: start().finish(timeout: 60))
    }

    /// Parses the client's JSON line.
    static func outcomes(of result: ToolProcess.Result) throws -> [Outcome] {
        #expect(!result.timedOut, "the TLS client hung")
        let line = try #require(result.standardOutput.split(separator: "\n").last, "no output; stderr: \(result.standardError)")
        return try JSONDecoder().decode([Outcome].self, from: Data(line.utf8))
    }

    private struct Configuration: Encodable {
        let port: Int
        let ca: String
        let alpn: [String]?
        let maximum: String?
        let ciphers: String?
        let noTicket: Bool
        let connections: [Connection]

        init(client: TLSTestClient) {
            port = client.port
            ca = client.caFile
            alpn = client.alpn
            maximum = client.maximumVersion
            ciphers = client.ciphers
            noTicket = client.noTicket
            connections = client.connections
        }
    }

    private static let script = #"""
        import json, socket, ssl, struct, sys

        config = json.loads(sys.argv[1])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(config["ca"])
        if config.get("alpn") is not None:
            context.set_alpn_protocols(config["alpn"])
        if config.get("maximum"):
            context.maximum_version = ssl.TLSVersion[config["maximum"]]
        if config.get("ciphers"):
            context.set_ciphers(config["ciphers"])
        if config.get("noTicket"):
            context.options |= ssl.OP_NO_TICKET

        def pattern(start, count):
            return bytes((start + i) % 251 for i in range(count))

        def echo(tls, count):
            data, echoed = pattern(0, count), bytearray()
            for offset in range(0, len(data), 16384):
                piece = data[offset:offset + 16384]
                tls.sendall(piece)
                while len(echoed) < offset + len(piece):
                    more = tls.recv(65536)
                    if not more:
                        raise ConnectionError("the server closed before echoing everything")
                    echoed += more
            return bytes(echoed) == data

        def read_all(tls, plan, outcome):
            received, matches = 0, True
            while True:
                data = tls.recv(65536)
                if not data:
                    break  # close_notify: a TCP close without it raises SSLEOFError instead
                matches = matches and data == pattern(received, len(data))
                received += len(data)
                if plan.get("resetAfter") is not None and received >= plan["resetAfter"]:
                    break
            outcome["received"], outcome["patternMatches"] = received, matches

        outcomes, session = [], None
        for plan in config["connections"]:
            if plan.get("waitBefore"):
                print("waiting", flush=True)
                sys.stdin.readline()
            outcome = {}
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.settimeout(30)
            if plan.get("receiveBuffer"):
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, plan["receiveBuffer"])
            try:
                raw.connect(("127.0.0.1", config["port"]))
                tls = context.wrap_socket(raw, server_hostname="127.0.0.1", suppress_ragged_eofs=False,
                                          session=session if plan.get("resume") else None)
                outcome.update(version=tls.version(), cipher=tls.cipher()[0],
                               alpn=tls.selected_alpn_protocol(), reused=tls.session_reused)
                if plan.get("echo"):
                    outcome["echoed"] = echo(tls, plan["echo"])
                if plan.get("pauseAfterEcho"):
                    print("paused", flush=True)
                    sys.stdin.readline()
                    outcome["echoedAfterPause"] = echo(tls, plan["echo"])
                if plan.get("readAllAfterGo"):
                    print("ready", flush=True)
                    sys.stdin.readline()
                if plan.get("readAll") or plan.get("readAllAfterGo"):
                    read_all(tls, plan, outcome)
                session = tls.session
                outcome["sessionID"] = session.id.hex() if session is not None else None
                if plan.get("resetAfter") is not None:
                    tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    tls.close()
                elif plan.get("closeNotify"):
                    tls.unwrap().close()
                else:
                    tls.close()
            except (OSError, ssl.SSLError) as error:
                outcome["error"] = f"{type(error).__name__}: {error}"
                raw.close()
            outcomes.append(outcome)
        print(json.dumps(outcomes), flush=True)
        """#
}
