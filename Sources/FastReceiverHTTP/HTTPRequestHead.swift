/// The request line and header section of one request, as offsets into the read buffer.
///
/// Nothing here is copied out of the buffer: read the bytes through the ranges while the buffer
/// holds the request. Keep the value inside the parser rather than copying it across
/// ``HTTPRequestParser/startNextRequest()``: a copy that outlives the request makes the parser
/// allocate fresh field storage for the next one.
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: HTTPMethod = .other
    /// The request-target bytes as sent.
    public var target: Range<Int> = 0..<0
    /// The target without its `?query`; for absolute-form only the path part, which is empty
    /// when the target has no path (`http://host`) and then means `/`.
    public var path: Range<Int> = 0..<0
    public var version: HTTPVersion = .http11
    /// Whether the connection stays open after the response: on HTTP/1.1 unless
    /// `Connection: close`, on HTTP/1.0 only with `Connection: keep-alive`.
    public var isKeepAlive = false
    /// Whether an HTTP/1.1 client waits for `100 Continue` before sending the body.
    public var expectsContinue = false
    /// The body length from Content-Length; nil when the body is chunked or absent.
    public var contentLength: Int? = nil
    /// Whether the body uses chunked transfer coding (the parser removes the framing).
    public var isChunked = false
    /// The Content-Encoding value when present; the parser does not decode the body.
    public var contentEncoding: Range<Int>? = nil
    /// The header fields in the order sent; trailer fields are not included.
    public var fields: ContiguousArray<HTTPField> = []

    init(fieldCapacity: Int) {
        fields.reserveCapacity(fieldCapacity)
    }

    /// The value of the first field called `name`, compared case-insensitively.
    ///
    /// - Parameters:
    ///   - name: The field name in any case, for example `"X-Dt-Signature"`.
    ///   - buffer: The buffer the request was parsed from.
    /// - Returns: The trimmed value's offsets in `buffer`, or nil when no such field was sent.
    public func firstValue(of name: StaticString, in buffer: UnsafeRawBufferPointer) -> Range<Int>? {
        for field in fields where buffer.equalsIgnoringCase(field.name, name) {
            return field.value
        }
        return nil
    }

    /// How many fields are called `name`, compared case-insensitively.
    ///
    /// Use it to refuse a field that must appear once, such as a signature.
    /// - Parameters:
    ///   - name: The field name in any case.
    ///   - buffer: The buffer the request was parsed from.
    public func count(of name: StaticString, in buffer: UnsafeRawBufferPointer) -> Int {
        var count = 0
        for field in fields where buffer.equalsIgnoringCase(field.name, name) {
            count += 1
        }
        return count
    }

    /// Forgets the previous request while keeping the field storage.
    mutating func clear(at offset: Int) {
        method = .other
        target = offset..<offset
        path = offset..<offset
        version = .http11
        isKeepAlive = false
        expectsContinue = false
        contentLength = nil
        isChunked = false
        contentEncoding = nil
        fields.removeAll(keepingCapacity: true)
    }

    /// Moves every offset down by `distance` after the caller dropped that many leading bytes.
    mutating func shift(by distance: Int) {
        target = target.shifted(by: distance)
        path = path.shifted(by: distance)
        contentEncoding = contentEncoding?.shifted(by: distance)
        for index in fields.indices {
            fields[index].name = fields[index].name.shifted(by: distance)
            fields[index].value = fields[index].value.shifted(by: distance)
        }
    }
}
