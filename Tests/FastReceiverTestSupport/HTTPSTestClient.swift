internal import Foundation
internal import Testing

/// An HTTPS client in Python's `ssl` module (OpenSSL underneath, as for most clients DT could
/// use), run as a child process: one connection, verified against a CA file, sending each step's
/// bytes and reading the answers it expects, then printing what it saw as JSON.
public struct HTTPSTestClient {
    /// Bytes to send on the connection and how many answers to read back.
    public struct Step: Encodable {
        /// What to send (all at once, or in `pieces` writes).
        public var bytes: [UInt8]
        /// Complete answers to read (by Content-Length) before the next step.
        public var answers: Int
        /// Before sending, print "waiting" and wait for a line on standard input.
        public var waitBefore: Bool
        /// Split the bytes into this many writes of random sizes.
        public var pieces: Int

        public init(_ bytes: [UInt8], answers: Int = 1, waitBefore: Bool = false, pieces: Int = 1) {
            self.bytes = bytes
            self.answers = answers
            self.waitBefore = waitBefore
            self.pieces = pieces
        }
    }

    /// What the connection saw.
    public struct Outcome: Decodable {
        public var version: String?
        public var cipher: String?
        public var alpn: String?
        /// The server certificate's serial number, in upper-case hex.
        public var serial: String?
        /// The answers' status codes, in order.
        public var statuses: [Int] = []
        /// Whether the answers carried `Connection: close`, in order.
        public var closes: [Bool] = []
        /// Whether the server closed the connection after the last answer read.
        public var closedByServer: Bool?
        /// The client's exception, e.g. "SSLError: [SSL: TLSV1_ALERT_NO_APPLICATION_PROTOCOL] ...".
        public var error: String?
    }

    public var port: Int
    public var caFile: String
    /// ALPN protocols to offer; nil offers none.
    public var alpn: [String]? = ["http/1.1"]
    public var steps: [Step] = []
    /// After the last step, wait (up to 30 s) for the server to close the connection.
    public var waitForClose = false

    public init(port: Int, caFile: String, steps: [Step] = []) {
        self.port = port
        self.caFile = caFile
        self.steps = steps
    }

    /// Starts the client; the caller drives its standard input and finishes it.
    public func start() throws -> ToolProcess {
        let configuration = try String(decoding: JSONEncoder().encode(Configuration(client: self)), as: UTF8.self)
        return try ToolProcess(["python3", "-c", Self.script, configuration])
    }

    /// Runs the client to the end.
    public func run() throws -> Outcome {
        try Self.outcome(of: start().finish(timeout: 60))
    }

    /// Parses the client's JSON line.
    public static func outcome(of result: ToolProcess.Result) throws -> Outcome {
        #expect(!result.timedOut, "the HTTPS client hung")
        let line = try #require(result.standardOutput.split(separator: "\n").last, "no output; stderr: \(result.standardError)")
        return try JSONDecoder().decode(Outcome.self, from: Data(line.utf8))
    }

    private struct Configuration: Encodable {
        let port: Int
        let ca: String
        let alpn: [String]?
        let steps: [EncodedStep]
        let waitForClose: Bool

        struct EncodedStep: Encodable {
            let data: String
            let answers: Int
            let waitBefore: Bool
            let pieces: Int
        }

        init(client: HTTPSTestClient) {
            port = client.port
            ca = client.caFile
            alpn = client.alpn
            waitForClose = client.waitForClose
            steps = client.steps.map { EncodedStep(data: Data($0.bytes).base64EncodedString(), answers: $0.answers, waitBefore: $0.waitBefore, pieces: $0.pieces) }
        }
    }

    private static let script = #"""
        import base64, json, random, socket, ssl, sys

        config = json.loads(sys.argv[1])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(config["ca"])
        if config.get("alpn") is not None:
            context.set_alpn_protocols(config["alpn"])
        outcome = {"statuses": [], "closes": []}
        buffered = bytearray()

        def read_answer(tls):
            global buffered
            while b"\r\n\r\n" not in buffered:
                more = tls.recv(65536)
                if not more:
                    raise ConnectionError("the server closed before answering")
                buffered += more
            end = buffered.index(b"\r\n\r\n") + 4
            lines = bytes(buffered[:end]).decode("latin-1").split("\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
            while len(buffered) < end + length:
                more = tls.recv(65536)
                if not more:
                    raise ConnectionError("the server closed inside an answer")
                buffered += more
            buffered = buffered[end + length:]
            outcome["statuses"].append(int(lines[0].split(" ")[1]))
            outcome["closes"].append(any(l.lower() == "connection: close" for l in lines))

        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.settimeout(30)
        try:
            raw.connect(("127.0.0.1", config["port"]))
            tls = context.wrap_socket(raw, server_hostname="127.0.0.1")
            outcome.update(version=tls.version(), cipher=tls.cipher()[0], alpn=tls.selected_alpn_protocol(),
                           serial=tls.getpeercert().get("serialNumber", "").upper())
            for step in config["steps"]:
                if step["waitBefore"]:
                    print("waiting", flush=True)
                    sys.stdin.readline()
                data = base64.b64decode(step["data"])
                cuts = sorted(random.sample(range(1, len(data)), min(step["pieces"] - 1, max(len(data) - 1, 0))))
                for start, end in zip([0] + cuts, cuts + [len(data)]):
                    tls.sendall(data[start:end])
                for _ in range(step["answers"]):
                    read_answer(tls)
            if config["waitForClose"]:
                try:
                    outcome["closedByServer"] = len(buffered) == 0 and tls.recv(65536) == b""
                except (ssl.SSLEOFError, ConnectionResetError):
                    outcome["closedByServer"] = True
            tls.close()
        except (OSError, ssl.SSLError, ValueError) as error:
            outcome["error"] = f"{type(error).__name__}: {error}"
            raw.close()
        print(json.dumps(outcome), flush=True)
        """#
}
