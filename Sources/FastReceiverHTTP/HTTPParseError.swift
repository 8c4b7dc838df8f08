/// Why the parser refused a request.
///
/// One case per rule, so that refusals can be counted by reason. Every case is safe to log: it
/// carries at most a configured limit, never bytes from the request. ``status`` is the one place
/// that maps a rule to the HTTP status the connection answers before it closes.
public enum HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    // MARK: Line structure

    /// A line ended in LF without the CR before it.
    case bareLineFeed
    /// A CR was not followed by LF.
    case bareCarriageReturn
    /// A NUL byte appeared in the head or in chunk framing.
    case nulByte

    // MARK: Request line

    /// The method is empty or holds a byte that is not a token character.
    case invalidMethod
    /// The request line is not `method SP request-target SP HTTP-version` with single spaces.
    case invalidRequestLine
    /// The request-target holds a byte outside visible ASCII (0x21–0x7E).
    case invalidTargetByte
    /// The request-target is not origin-form (`/path`), absolute-form (`http://host/path`) or,
    /// for OPTIONS only, `*`.
    case invalidTargetForm
    /// The protocol version is not of the form `HTTP/d.d`.
    case invalidVersion
    /// The protocol version is `HTTP/d.d` but neither 1.0 nor 1.1.
    case unsupportedVersion

    // MARK: Header fields

    /// A field line starts with a space or tab (obsolete line folding, RFC 9112 §5.2).
    case obsoleteLineFolding
    /// A field name is empty or holds a byte that is not a token character.
    case invalidFieldName
    /// Whitespace sits between a field name and its colon (RFC 9112 §5.1).
    case whitespaceBeforeColon
    /// A field line has no colon.
    case missingColon
    /// A field value holds a control character other than tab, or DEL.
    case invalidFieldValue
    /// The head is larger than the limit in bytes.
    case headerSectionTooLarge(limit: Int)
    /// The request carries more header and trailer fields than the limit.
    case tooManyFields(limit: Int)

    // MARK: Host

    /// An HTTP/1.1 request has no Host field.
    case missingHost
    /// The request has more than one Host field.
    case duplicateHost
    /// The Host value is not `host[:port]`.
    case invalidHost

    // MARK: Framing

    /// Content-Length is not a plain decimal number.
    case invalidContentLength
    /// Content-Length appears more than once.
    case duplicateContentLength
    /// Transfer-Encoding is anything but the single coding `chunked`.
    case unsupportedTransferEncoding
    /// Transfer-Encoding appears more than once.
    case duplicateTransferEncoding
    /// An HTTP/1.0 request carries Transfer-Encoding, which HTTP/1.0 does not define.
    case transferEncodingInHTTP10
    /// Both Content-Length and Transfer-Encoding are present.
    case contentLengthWithTransferEncoding
    /// Content-Encoding appears more than once.
    case duplicateContentEncoding
    /// Expect holds something other than `100-continue`.
    case unsupportedExpectation

    // MARK: Body

    /// The body is larger than the limit in decoded bytes.
    case bodyTooLarge(limit: Int)
    /// A chunk size is empty or holds a byte that is not a hex digit.
    case invalidChunkSize
    /// A chunk extension holds a control character.
    case invalidChunkExtension
    /// A chunk's data is not followed by exactly CRLF.
    case chunkDataNotTerminated
    /// The chunk framing (size lines, extensions, CRLFs) is larger than the limit in bytes.
    case chunkFramingTooLarge(limit: Int)
    /// The trailer fields are larger than what the head left of the header byte limit.
    case trailerSectionTooLarge(limit: Int)

    /// The status code the connection answers with before it closes.
    ///
    /// Framing the parser cannot trust is 400. Size limits are 431 for the head and trailers and
    /// 413 for the body and its chunk framing. A Transfer-Encoding other than `chunked` is 400,
    /// not 501: RFC 9112 §6.3 requires 400 whenever `chunked` is not the final coding, which
    /// covers every value this parser refuses. A well-formed version other than 1.0 or 1.1 is 505.
    public var status: Int {
        switch self {
        case .headerSectionTooLarge, .tooManyFields, .trailerSectionTooLarge:
            return 431
        case .bodyTooLarge, .chunkFramingTooLarge:
            return 413
        case .unsupportedVersion:
            return 505
        case .unsupportedExpectation:
            return 417
        case .bareLineFeed, .bareCarriageReturn, .nulByte, .invalidMethod, .invalidRequestLine,
             .invalidTargetByte, .invalidTargetForm, .invalidVersion, .obsoleteLineFolding,
             .invalidFieldName, .whitespaceBeforeColon, .missingColon, .invalidFieldValue,
             .missingHost, .duplicateHost, .invalidHost, .invalidContentLength,
             .duplicateContentLength, .unsupportedTransferEncoding, .duplicateTransferEncoding,
             .transferEncodingInHTTP10, .contentLengthWithTransferEncoding,
             .duplicateContentEncoding, .invalidChunkSize, .invalidChunkExtension,
             .chunkDataNotTerminated:
            return 400
        }
    }

    public var description: String {
        switch self {
        case .bareLineFeed:
            return "A line ends in LF without CR; only CRLF line endings are accepted."
        case .bareCarriageReturn:
            return "A CR is not followed by LF; bare CR is refused because parsers disagree on its meaning."
        case .nulByte:
            return "The request head or chunk framing contains a NUL byte."
        case .invalidMethod:
            return "The method is empty or contains a character that is not allowed in a token."
        case .invalidRequestLine:
            return "The request line is not 'METHOD SP target SP version' separated by single spaces."
        case .invalidTargetByte:
            return "The request target contains a space, control character or non-ASCII byte; percent-encode it."
        case .invalidTargetForm:
            return "The request target is not '/path', 'http://host/path', or '*' with OPTIONS."
        case .invalidVersion:
            return "The request line does not end in a protocol version of the form HTTP/1.1."
        case .unsupportedVersion:
            return "The protocol version is not HTTP/1.0 or HTTP/1.1, the only versions served here."
        case .obsoleteLineFolding:
            return "A header line starts with whitespace (obsolete line folding); send each field on one line."
        case .invalidFieldName:
            return "A header name is empty or contains a character that is not allowed in a token."
        case .whitespaceBeforeColon:
            return "A header name is followed by whitespace before its colon; this is refused to prevent request smuggling."
        case .missingColon:
            return "A header line has no colon separating name and value."
        case .invalidFieldValue:
            return "A header value contains a control character other than tab."
        case .headerSectionTooLarge(let limit):
            return "The request line and headers exceed \(limit) bytes; send fewer or shorter headers."
        case .tooManyFields(let limit):
            return "The request has more than \(limit) header and trailer fields."
        case .missingHost:
            return "An HTTP/1.1 request must carry exactly one Host header, and this one has none."
        case .duplicateHost:
            return "The request carries more than one Host header."
        case .invalidHost:
            return "The Host header is not a valid host with an optional numeric port."
        case .invalidContentLength:
            return "Content-Length is not a single decimal number."
        case .duplicateContentLength:
            return "Content-Length appears more than once; send it once."
        case .unsupportedTransferEncoding:
            return "Transfer-Encoding must be exactly 'chunked'; other codings and lists are refused."
        case .duplicateTransferEncoding:
            return "Transfer-Encoding appears more than once; send it once."
        case .transferEncodingInHTTP10:
            return "An HTTP/1.0 request carries Transfer-Encoding, which HTTP/1.0 does not define; use Content-Length."
        case .contentLengthWithTransferEncoding:
            return "Content-Length and Transfer-Encoding are both present; this framing is ambiguous and refused."
        case .duplicateContentEncoding:
            return "Content-Encoding appears more than once; send all codings in one header."
        case .unsupportedExpectation:
            return "The Expect header holds something other than 100-continue."
        case .bodyTooLarge(let limit):
            return "The body is larger than \(limit) bytes."
        case .invalidChunkSize:
            return "A chunk size is empty or is not plain hexadecimal digits directly followed by ';' or CRLF."
        case .invalidChunkExtension:
            return "A chunk extension contains a control character."
        case .chunkDataNotTerminated:
            return "A chunk's data is not followed by CRLF; the chunk size does not match the data sent."
        case .chunkFramingTooLarge(let limit):
            return "The body's chunked framing (size lines, extensions and line ends) exceeds \(limit) bytes."
        case .trailerSectionTooLarge(let limit):
            return "The trailer fields exceed the \(limit) bytes left by the header size limit."
        }
    }
}
