public import FastReceiverCrypto
internal import FastReceiverSystem
internal import Foundation
internal import Glibc

/// A small blocking HTTP/1.1 client over one keep-alive connection, plain or over TLS, for
/// `send`, `healthcheck` and tests.
public final class HTTPClientConnection {
    /// A parsed `http://host[:port]/path` or `https://host[:port]/path` URL.
    public struct Endpoint: Sendable {
        public var host: String
        public var port: Int
        public var path: String
        /// Whether the URL is `https://`.
        public var isTLS: Bool

        /// - Throws: `ClientError` for anything but an http or https URL with a host.
        public init(url: String) throws(ClientError) {
            guard let components = URLComponents(string: url), components.scheme == "http" || components.scheme == "https",
                  let host = components.host, !host.isEmpty
            else {
                throw ClientError("The URL \(url) is not an http:// or https:// URL with a host.")
            }
            self.host = host
            self.isTLS = components.scheme == "https"
            self.port = components.port ?? (isTLS ? 443 : 80)
            let path = components.percentEncodedPath
            self.path = (path.isEmpty ? "/" : path) + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        }
    }

    /// A response: status, headers (lower-cased names) and body.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name == name.lowercased() }?.value
        }
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
        public var closesConnection: Bool { header("connection")?.lowercased() == "close" }
    }

    public let endpoint: Endpoint
    /// The TLS policy and trust for an https endpoint; nil trusts the system's store.
    private var tlsContext: TLSClientContext?
    private var descriptor: Int32 = -1
    /// The TLS connection over `descriptor`, for an https endpoint.
    private var tls: TLSConnection?
    private var pending: [UInt8] = []

    /// - Parameters:
    ///   - endpoint: where to connect.
    ///   - tls: for an https endpoint, whom to trust (`--ca-file`, `--insecure`); nil verifies
    ///     against the system's trust store.
    public init(endpoint: Endpoint, tls: TLSClientContext? = nil) {
        self.endpoint = endpoint
        self.tlsContext = tls
    }

    deinit {
        disconnect()
    }

    /// Opens the connection if it is not open.
    /// - Parameter timeout: seconds for connecting and for each later read or write.
    public func connect(timeout: Double = 10) throws {
        guard descriptor < 0 else { return }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &result)
        guard status == 0, let first = result else {
            throw ClientError("Cannot resolve \(endpoint.host): \(String(cString: gai_strerror(status))).")
        }
        defer { freeaddrinfo(result) }
        var lastError = SystemError("connect", errno: ECONNREFUSED)
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd >= 0 {
                var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    descriptor = fd
                    pending = []
                    if endpoint.isTLS { try startTLS() }
                    return
                }
                lastError = SystemError("connect")
                close(fd)
            }
            candidate = info.pointee.ai_next
        }
        throw lastError
    }

    public func disconnect() {
        tls = nil
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        pending = []
    }

    /// Runs the TLS handshake on the connected socket, verifying the server unless told not to.
    private func startTLS() throws {
        do {
            let context = try tlsContext ?? TLSClientContext()
            tlsContext = context
            let connection = try TLSConnection(client: context, descriptor: descriptor, serverName: endpoint.host)
            tls = connection
            switch connection.handshake() {
            case .done:
                return
            case .wantRead, .wantWrite:
                // The socket blocks up to its timeout, so waiting means the timeout passed.
                throw SystemError("TLS handshake", errno: ETIMEDOUT)
            case .failed(let error):
                let reason = connection.verificationFailure.map { "the certificate is not trusted: \($0)" } ?? "\(error)"
                throw ClientError("The TLS handshake with \(endpoint.host):\(endpoint.port) failed: \(reason)")
            }
        } catch {
            disconnect()
            throw error
        }
    }

    /// Sends raw bytes (a whole request, or several pipelined ones).
    public func send(_ bytes: [UInt8]) throws {
        try connect()
        var offset = 0
        while offset < bytes.count {
            let written: Int
            if let tls {
                written = bytes[offset...].withUnsafeBytes { tls.sendResult($0) }
            } else {
                written = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            if written < 0 {
                if errno == EINTR, tls == nil { continue }
                let error = SystemError("send")
                disconnect()
                throw error
            }
            offset += written
        }
    }

    /// POSTs `body` with the given extra header lines (`Name: value`).
    public func post(path: String? = nil, body: [UInt8], headers: [String] = []) throws -> Response {
        try request(method: "POST", path: path, headers: headers + ["Content-Type: application/json"], body: body)
    }

    /// Sends one request and reads its response.
    public func request(method: String, path: String? = nil, headers: [String] = [], body: [UInt8] = []) throws -> Response {
        var head = "\(method) \(path ?? endpoint.path) HTTP/1.1\r\nHost: \(endpoint.host):\(endpoint.port)\r\n"
        for header in headers { head += header + "\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try send(Array(head.utf8) + body)
        let response = try readResponse(toHEAD: method == "HEAD")
        if response.closesConnection { disconnect() }
        return response
    }

    /// Reads one response (skipping `100 Continue`).
    /// - Parameter toHEAD: whether the request was HEAD, whose answer has no body whatever its
    ///   Content-Length says (RFC 9110 §9.3.2).
    public func readResponse(toHEAD: Bool = false) throws -> Response {
        while true {
            let response = try readOneResponse(toHEAD: toHEAD)
            if response.status != 100 { return response }
        }
    }

    private func readOneResponse(toHEAD: Bool) throws -> Response {
        let headEnd = try readUntilHeadEnd()
        let headText = String(decoding: pending[..<headEnd], as: UTF8.self)
        pending.removeFirst(headEnd + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw ClientError("The server sent a malformed status line.")
        }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = Response(status: status, headers: headers.map { (name: $0.0, value: $0.1) }, body: [])
        if status == 100 || toHEAD { return response }
        let length = Int(response.header("content-length") ?? "0") ?? 0
        while pending.count < length { try fill() }
        response.body = Array(pending.prefix(length))
        pending.removeFirst(length)
        return response
    }

    private func readUntilHeadEnd() throws -> Int {
        var searchFrom = 0
        while true {
            if pending.count >= 4 {
                for index in max(searchFrom, 0)...(pending.count - 4)
                where pending[index] == 13 && pending[index + 1] == 10 && pending[index + 2] == 13 && pending[index + 3] == 10 {
                    return index
                }
                searchFrom = pending.count - 3
            }
            try fill()
        }
    }

    private func fill() throws {
        guard descriptor >= 0 else { throw SystemError("recv", errno: ENOTCONN) }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let received = chunk.withUnsafeMutableBytes { buffer in
            if let tls { return tls.receiveResult(into: buffer) }
            return recv(descriptor, buffer.baseAddress, buffer.count, 0)
        }
        if received <= 0 {
            let error = received == 0 ? SystemError("recv", errno: ECONNRESET) : SystemError("recv")
            disconnect()
            throw error
        }
        pending.append(contentsOf: chunk[..<received])
    }
}
