internal import Foundation

/// A response the server sends: a status, a short plain-text body and the few headers this
/// service needs. Encoded straight into a connection's output buffer by `HTTPResponseWriter`.
public struct HTTPResponse: Sendable {
    /// The body: a constant for the common answers, text for the rare ones (401 reasons,
    /// metrics), which are allowed to allocate.
    public enum Body: Sendable {
        case constant(StaticString)
        case text(String)
    }

    public var status: Int
    public var body: Body
    /// Seconds for a `Retry-After` header (503).
    public var retryAfterSeconds: Int?
    /// Methods for an `Allow` header (405), e.g. "GET, HEAD".
    public var allow: StaticString?
    /// The `Content-Type`; plain text unless set.
    public var contentType: StaticString = "text/plain; charset=utf-8"
    /// Whether this response ends the connection whatever the request asked for.
    public var closesConnection = false
    /// More about why the request was refused, for the log only and never sent: the body stays
    /// short and says nothing about this machine (e.g. the OpenSSL error behind a 500).
    public var logDetail: String?

    public init(status: Int, body: Body, retryAfterSeconds: Int? = nil, allow: StaticString? = nil, closesConnection: Bool = false,
                logDetail: String? = nil) {
        self.status = status
        self.body = body
        self.retryAfterSeconds = retryAfterSeconds
        self.allow = allow
        self.closesConnection = closesConnection
        self.logDetail = logDetail
    }

    public static let ok = HTTPResponse(status: 200, body: .constant("OK\n"))
    public static let notFound = HTTPResponse(status: 404, body: .constant("no such path\n"))
    public static let continueInterim: StaticString = "HTTP/1.1 100 Continue\r\n\r\n"

    /// The reason phrase for the statuses this service sends.
    static func reasonPhrase(_ status: Int) -> StaticString {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Unknown"
        }
    }

    /// The body as one line of text, for logs.
    public var reason: String {
        let text: String
        switch body {
        case .constant(let constant): text = constant.description
        case .text(let string): text = string
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The response for a request the parser refused.
    public static func refusal(_ error: HTTPParseError) -> HTTPResponse {
        HTTPResponse(status: error.status, body: .text(error.description + "\n"), closesConnection: true)
    }
}
