internal import FastReceiverSystem

/// A strict, incremental, zero-copy HTTP/1.1 request parser (RFC 9112).
///
/// The parser reads requests straight out of the connection's read buffer and describes them as
/// offsets into it, so a request costs no copies and no allocations: the only storage, room for
/// ``HTTPLimits/maxHeaderCount`` fields, is reserved once at init and reused.
///
/// It is strict because this server is the last hop: framing that RFC 9112 calls invalid or
/// ambiguous, and everything that parsers are known to read differently (bare CR or LF, obs-fold,
/// whitespace before a colon, Content-Length together with Transfer-Encoding, repeated framing
/// fields), is refused instead of guessed at, which is what keeps request smuggling out.
///
/// It is incremental: `parse` can be called after every read, with the bytes split anywhere, and
/// reaches the same result as if the request had arrived in one piece. Limits are enforced as
/// bytes arrive, never after buffering more than they allow.
///
/// A typical loop: append bytes, call ``parse(_:count:)``; on ``HTTPParseEvent/needMoreData``
/// call ``compactChunkFraming(_:count:)`` and read more; on ``HTTPParseEvent/head`` decide
/// whether to read the body (and call `parse` again); on ``HTTPParseEvent/complete`` answer the
/// request, call ``startNextRequest()`` and, once it is convenient, drop ``consumedBytes`` from the
/// front of the buffer and call ``rebase(by:)``.
public struct HTTPRequestParser: Sendable {
    private enum State: Sendable, Equatable {
        case requestLine
        case fieldLines
        /// ``HTTPParseEvent/head`` was returned; the body has not been looked at.
        case headParsed
        case contentLengthBody
        case chunkSize
        case chunkExtension
        case chunkSizeLineFeed
        case chunkData
        case chunkDataCarriageReturn
        case chunkDataLineFeed
        case trailerLines
        case complete
        case failed(HTTPParseError)
    }

    /// The limits this parser enforces.
    public let limits: HTTPLimits
    /// ``HTTPLimits/maxChunkFramingBytes``, worked out once.
    private let maxChunkFramingBytes: Int

    /// The current request's head, valid after ``HTTPParseEvent/head`` and
    /// ``HTTPParseEvent/complete``.
    public private(set) var head: HTTPRequestHead

    /// The decoded body, contiguous in the buffer right after the head; valid after
    /// ``HTTPParseEvent/complete``.
    public private(set) var body: Range<Int> = 0..<0

    /// The offset just past the current request's last byte; valid after
    /// ``HTTPParseEvent/complete``.
    public private(set) var requestEnd = 0

    private var state = State.requestLine
    /// The first byte of the current request, a skipped empty line included.
    private var requestStart = 0
    /// The first byte of the request line; the head limit counts from here.
    private var headStart = 0
    /// The next byte to examine: every byte before it has been parsed.
    private var position = 0
    /// The first byte of the head or trailer line being looked for.
    private var lineStart = 0
    /// The offset just past the empty line that ends the header section.
    private var headEnd = 0

    // Facts gathered field by field and judged once the header section is complete.
    private var hostCount = 0
    private var hasContentLength = false
    private var contentLengthExceedsLimit = false
    private var hasConnectionClose = false
    private var hasConnectionKeepAlive = false

    // Chunked body progress; the decoded bytes so far are `body`.
    private var chunkSizeDigitCount = 0
    private var chunkRemaining = 0
    private var framingBytes = 0
    private var trailerStart = 0
    private var trailerFieldCount = 0

    /// Creates a parser and reserves its field storage.
    ///
    /// - Parameter limits: The limits to enforce; `maxHeaderBytes` must be positive and the
    ///   other limits zero or more.
    public init(limits: HTTPLimits) {
        precondition(limits.maxHeaderBytes > 0, "maxHeaderBytes must be positive")
        precondition(limits.maxHeaderCount >= 0 && limits.maxBodyBytes >= 0, "limits must not be negative")
        self.limits = limits
        maxChunkFramingBytes = limits.maxChunkFramingBytes
        head = HTTPRequestHead(fieldCapacity: limits.maxHeaderCount)
    }

    /// The bytes the buffer must hold to finish the current request, when that is known: the end
    /// of the head plus Content-Length once the head is parsed. Nil before the head and for chunked
    /// bodies, whose length is unknown until the last chunk; a buffer that may grow to
    /// ``HTTPLimits/maxRequestBytes`` past ``consumedBytes`` always has room for them, as long as
    /// ``compactChunkFraming(_:count:)`` drops their framing whenever more data is needed.
    public var requiredCapacity: Int? {
        switch state {
        case .headParsed, .contentLengthBody, .complete:
            return head.isChunked ? nil : headEnd + (head.contentLength ?? 0)
        default:
            return nil
        }
    }

    /// The number of leading bytes that belong to finished requests and may be dropped.
    ///
    /// It grows when ``startNextRequest()`` is called, never while a request is being parsed, so
    /// the current request's head and body stay where they are until the caller moves on.
    /// After moving `buffer[consumedBytes..<count]` to the front of the buffer, call
    /// ``rebase(by:)`` with the same number so every offset follows.
    public var consumedBytes: Int {
        requestStart
    }

    /// Parses `buffer[0..<count]` from where the previous call stopped.
    ///
    /// The caller only ever appends bytes after `count`, and moves bytes the parser has seen only
    /// through ``consumedBytes`` and ``rebase(by:)``, or ``compactChunkFraming(_:count:)``, whose
    /// count it then uses. A chunked body is de-chunked in place: chunk
    /// data is moved down so the decoded body is contiguous right after the head, which means the
    /// parser writes to `buffer`, though never at or past `count`.
    ///
    /// - Parameters:
    ///   - buffer: The connection's read buffer.
    ///   - count: How many leading bytes of `buffer` hold received data.
    /// - Returns: What the bytes so far amount to; see ``HTTPParseEvent``.
    public mutating func parse(_ buffer: UnsafeMutableRawBufferPointer, count: Int) -> HTTPParseEvent {
        precondition(count <= buffer.count, "count is larger than the buffer")
        precondition(count >= position, "bytes the parser has seen were removed without rebase(by:)")
        do throws(HTTPParseError) {
            return try advance(buffer, count: count)
        } catch {
            state = .failed(error)
            return .error(error)
        }
    }

    /// Drops the chunk framing parsed so far from the buffer, so that a chunked body occupies only
    /// its decoded bytes, however small its chunks.
    ///
    /// The decoded body lies contiguous after the head; the framing the parser has read since
    /// (size lines, extensions, CRLFs) lies between the body's end and the next byte it still
    /// needs. This moves `buffer[thatByte..<count]` down to the end of the body and moves every
    /// offset with it. Call it after ``HTTPParseEvent/needMoreData``, before appending more bytes;
    /// outside a chunked body it changes nothing.
    ///
    /// - Parameters:
    ///   - buffer: The buffer last given to ``parse(_:count:)``.
    ///   - count: How many leading bytes of `buffer` hold received data.
    /// - Returns: How many leading bytes hold received data now; use it as the new count.
    public mutating func compactChunkFraming(_ buffer: UnsafeMutableRawBufferPointer, count: Int) -> Int {
        precondition(count <= buffer.count && count >= position, "count does not match the bytes parsed")
        let keptFrom: Int
        switch state {
        case .chunkSize, .chunkExtension, .chunkSizeLineFeed, .chunkData, .chunkDataCarriageReturn, .chunkDataLineFeed:
            keptFrom = position
        case .trailerLines:
            // The trailer section is counted from its start, so it is kept whole.
            keptFrom = trailerStart
        default:
            return count
        }
        let gap = keptFrom - body.upperBound
        guard gap > 0 else { return count }
        if count > keptFrom, let base = buffer.baseAddress {
            // Overlapping ranges: copyMemory is a memmove.
            (base + body.upperBound).copyMemory(from: base + keptFrom, byteCount: count - keptFrom)
        }
        position -= gap
        if state == .trailerLines {
            lineStart -= gap
            trailerStart -= gap
        }
        return count - gap
    }

    /// Starts the next request at ``requestEnd``, for pipelined and keep-alive requests.
    ///
    /// Call it only after ``HTTPParseEvent/complete``, once the request's head and body are no
    /// longer needed; then call ``parse(_:count:)`` to continue with bytes already in the buffer.
    public mutating func startNextRequest() {
        precondition(state == .complete, "startNextRequest() called before the request was complete")
        beginRequest(at: requestEnd)
    }

    /// Shifts every offset down by `distance` after the caller dropped that many leading bytes.
    ///
    /// - Parameter distance: How many bytes were dropped; at most ``consumedBytes``.
    public mutating func rebase(by distance: Int) {
        precondition(distance >= 0 && distance <= consumedBytes, "rebase(by:) may drop only consumed bytes")
        requestStart -= distance
        headStart -= distance
        position -= distance
        lineStart -= distance
        headEnd -= distance
        trailerStart -= distance
        requestEnd -= distance
        body = body.shifted(by: distance)
        head.shift(by: distance)
    }

    /// Forgets everything, a failure included, and expects a new request at offset 0.
    public mutating func reset() {
        beginRequest(at: 0)
        requestEnd = 0
    }

    private mutating func beginRequest(at offset: Int) {
        state = .requestLine
        requestStart = offset
        headStart = offset
        position = offset
        lineStart = offset
        headEnd = offset
        head.clear(at: offset)
        body = offset..<offset
        hostCount = 0
        hasContentLength = false
        contentLengthExceedsLimit = false
        hasConnectionClose = false
        hasConnectionKeepAlive = false
        chunkSizeDigitCount = 0
        chunkRemaining = 0
        framingBytes = 0
        trailerStart = offset
        trailerFieldCount = 0
    }

    private mutating func advance(_ buffer: UnsafeMutableRawBufferPointer, count: Int) throws(HTTPParseError) -> HTTPParseEvent {
        switch state {
        case .failed(let error):
            return .error(error)
        case .complete:
            return .complete
        case .requestLine, .fieldLines:
            guard try parseHead(UnsafeRawBufferPointer(buffer), count: count) else { return .needMoreData }
            state = .headParsed
            return .head
        case .headParsed:
            startBody()
        case .contentLengthBody, .chunkSize, .chunkExtension, .chunkSizeLineFeed, .chunkData,
             .chunkDataCarriageReturn, .chunkDataLineFeed, .trailerLines:
            break
        }
        switch state {
        case .complete:
            return .complete
        case .contentLengthBody:
            guard count >= requestEnd else { return .needMoreData }
            state = .complete
            return .complete
        default:
            guard try parseChunkedBody(buffer, count: count) else { return .needMoreData }
            return .complete
        }
    }

    // MARK: - Head

    /// Parses complete head lines; returns true once the empty line ending the head is parsed.
    private mutating func parseHead(_ bytes: UnsafeRawBufferPointer, count: Int) throws(HTTPParseError) -> Bool {
        while true {
            // Scanning stops at the limit, so an endless head is refused once the limit is reached
            // rather than after more bytes arrive.
            let scanLimit = Self.saturatingSum(headStart, limits.maxHeaderBytes)
            let scanEnd = min(count, scanLimit)
            guard let lineFeed = bytes.firstIndex(of: .lineFeed, from: position, to: scanEnd) else {
                position = scanEnd
                if scanEnd == scanLimit { throw .headerSectionTooLarge(limit: limits.maxHeaderBytes) }
                return false
            }
            let line = try completeLine(bytes, lineFeed: lineFeed)
            if state == .requestLine {
                // RFC 9112 §2.2: ignore one empty line before the request line, which some clients
                // send after a body.
                if line.isEmpty, headStart == requestStart {
                    headStart = position
                    continue
                }
                try parseRequestLine(bytes, line)
                state = .fieldLines
            } else if line.isEmpty {
                headEnd = position
                try finishHead()
                return true
            } else {
                let field = try Self.parseFieldLine(bytes, line)
                guard head.fields.count < limits.maxHeaderCount else {
                    throw .tooManyFields(limit: limits.maxHeaderCount)
                }
                head.fields.append(field)
                try interpret(field, bytes)
            }
        }
    }

    /// Moves past the line ending at `lineFeed` and returns the line without its CRLF.
    private mutating func completeLine(_ bytes: UnsafeRawBufferPointer, lineFeed: Int) throws(HTTPParseError) -> Range<Int> {
        guard lineFeed > lineStart, bytes[lineFeed - 1] == .carriageReturn else { throw .bareLineFeed }
        let line = lineStart..<(lineFeed - 1)
        position = lineFeed + 1
        lineStart = position
        return line
    }

    private mutating func parseRequestLine(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) throws(HTTPParseError) {
        let end = line.upperBound
        var index = line.lowerBound
        while index < end, bytes[index].isTokenCharacter { index += 1 }
        let method = line.lowerBound..<index
        guard index < end else { throw .invalidRequestLine }
        guard bytes[index] == .space, !method.isEmpty else {
            throw Self.unexpected(bytes[index], otherwise: .invalidMethod)
        }
        index += 1

        let targetStart = index
        while index < end, bytes[index] != .space {
            guard bytes[index].isVisibleASCII else {
                throw Self.unexpected(bytes[index], otherwise: .invalidTargetByte)
            }
            index += 1
        }
        let target = targetStart..<index
        guard !target.isEmpty else { throw .invalidRequestLine }
        guard index < end else { throw .invalidVersion }

        // The version is judged before the target's form so that an HTTP/2 preface
        // (`PRI * HTTP/2.0`) is answered 505 rather than 400.
        head.version = try Self.parseVersion(bytes, (index + 1)..<end)
        head.method = Self.method(bytes, method)
        try parseTarget(bytes, target)
    }

    private static func parseVersion(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(HTTPParseError) -> HTTPVersion {
        let start = range.lowerBound
        guard range.count == 8,
              bytes.equals(start..<(start + 5), "HTTP/"),
              bytes[start + 5].isDecimalDigit,
              bytes[start + 6] == UInt8(ascii: "."),
              bytes[start + 7].isDecimalDigit
        else {
            for index in range where bytes[index] < 0x20 {
                throw unexpected(bytes[index], otherwise: .invalidVersion)
            }
            throw range.first.map({ bytes[$0] }) == .space ? .invalidRequestLine : .invalidVersion
        }
        switch (bytes[start + 5], bytes[start + 7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http11
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http10
        default: throw .unsupportedVersion
        }
    }

    private static func method(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> HTTPMethod {
        switch range.count {
        case 3:
            if bytes.equals(range, "GET") { return .get }
            if bytes.equals(range, "PUT") { return .put }
        case 4:
            if bytes.equals(range, "POST") { return .post }
            if bytes.equals(range, "HEAD") { return .head }
        case 5:
            if bytes.equals(range, "PATCH") { return .patch }
        case 6:
            if bytes.equals(range, "DELETE") { return .delete }
        case 7:
            if bytes.equals(range, "OPTIONS") { return .options }
        default:
            break
        }
        return .other
    }

    /// Accepts origin-form, absolute-form with an `http` or `https` scheme, and asterisk-form for
    /// OPTIONS (RFC 9112 §3.2); authority-form is for CONNECT, which a receiver never proxies.
    private mutating func parseTarget(_ bytes: UnsafeRawBufferPointer, _ target: Range<Int>) throws(HTTPParseError) {
        let start = target.lowerBound
        let end = target.upperBound
        head.target = target
        if bytes[start] == .slash {
            head.path = start..<(bytes.firstIndex(of: .questionMark, from: start, to: end) ?? end)
            return
        }
        if target.count == 1, bytes[start] == UInt8(ascii: "*") {
            guard head.method == .options else { throw .invalidTargetForm }
            head.path = target
            return
        }
        let authorityStart: Int
        if target.count > 7, bytes.equalsIgnoringCase(start..<(start + 7), "http://") {
            authorityStart = start + 7
        } else if target.count > 8, bytes.equalsIgnoringCase(start..<(start + 8), "https://") {
            authorityStart = start + 8
        } else {
            throw .invalidTargetForm
        }
        var pathStart = authorityStart
        while pathStart < end, bytes[pathStart] != .slash, bytes[pathStart] != .questionMark {
            pathStart += 1
        }
        // RFC 9110 §4.2.1 and §4.2.4: an empty host is invalid, and userinfo is treated as an error.
        let authority = authorityStart..<pathStart
        guard !authority.isEmpty, Self.isValidHost(bytes, authority) else { throw .invalidTargetForm }
        head.path = pathStart..<(bytes.firstIndex(of: .questionMark, from: pathStart, to: end) ?? end)
    }

    /// Parses one `field-name ":" OWS field-value OWS` line (RFC 9112 §5).
    private static func parseFieldLine(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) throws(HTTPParseError) -> HTTPField {
        let start = line.lowerBound
        let end = line.upperBound
        guard !bytes[start].isWhitespace else { throw .obsoleteLineFolding }
        var index = start
        while index < end, bytes[index].isTokenCharacter { index += 1 }
        guard index < end else { throw .missingColon }
        guard bytes[index] == .colon else {
            throw bytes[index].isWhitespace ? .whitespaceBeforeColon : unexpected(bytes[index], otherwise: .invalidFieldName)
        }
        guard index > start else { throw .invalidFieldName }
        let value = bytes.trimmingWhitespace((index + 1)..<end)
        if let invalid = bytes.firstInvalidFieldValueByte(in: value) {
            throw unexpected(bytes[invalid], otherwise: .invalidFieldValue)
        }
        return HTTPField(name: start..<index, value: value)
    }

    /// Records what the fields that decide framing, connection handling and routing say.
    private mutating func interpret(_ field: HTTPField, _ bytes: UnsafeRawBufferPointer) throws(HTTPParseError) {
        let name = field.name
        let value = field.value
        switch name.count {
        case 4 where bytes.equalsIgnoringCase(name, "host"):
            hostCount += 1
            guard hostCount == 1 else { throw .duplicateHost }
            guard Self.isValidHost(bytes, value) else { throw .invalidHost }
        case 6 where bytes.equalsIgnoringCase(name, "expect"):
            guard bytes.equalsIgnoringCase(value, "100-continue") else { throw .unsupportedExpectation }
            // RFC 9110 §10.1.1: a server ignores 100-continue from an HTTP/1.0 client.
            head.expectsContinue = head.version == .http11
        case 10 where bytes.equalsIgnoringCase(name, "connection"):
            parseConnection(bytes, value)
        case 14 where bytes.equalsIgnoringCase(name, "content-length"):
            // Equal repeated values are refused too: RFC 9112 §6.3 lets a recipient accept them,
            // but an intermediary that treats them differently is how smuggling starts.
            guard !hasContentLength else { throw .duplicateContentLength }
            hasContentLength = true
            try parseContentLength(bytes, value)
        case 16 where bytes.equalsIgnoringCase(name, "content-encoding"):
            // The body is decoded by whoever reads `contentEncoding`, which is one range; a second
            // field would silently add a coding that nobody undoes.
            guard head.contentEncoding == nil else { throw .duplicateContentEncoding }
            head.contentEncoding = value
        case 17 where bytes.equalsIgnoringCase(name, "transfer-encoding"):
            // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
            guard head.version == .http11 else { throw .transferEncodingInHTTP10 }
            guard !head.isChunked else { throw .duplicateTransferEncoding }
            guard bytes.equalsIgnoringCase(value, "chunked") else { throw .unsupportedTransferEncoding }
            head.isChunked = true
        default:
            break
        }
    }

    /// `Content-Length = 1*DIGIT` (RFC 9110 §8.6). A well-formed value above the body limit, even
    /// one too large for `Int`, is remembered and answered 413 once the head is complete.
    private mutating func parseContentLength(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) throws(HTTPParseError) {
        guard !value.isEmpty else { throw .invalidContentLength }
        var length = 0
        for index in value {
            let byte = bytes[index]
            guard byte.isDecimalDigit else { throw .invalidContentLength }
            guard !contentLengthExceedsLimit else { continue }
            let (shifted, overflow1) = length.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(Int(byte &- UInt8(ascii: "0")))
            if overflow1 || overflow2 || sum > limits.maxBodyBytes {
                contentLengthExceedsLimit = true
            } else {
                length = sum
            }
        }
        if !contentLengthExceedsLimit {
            head.contentLength = length
        }
    }

    /// `Connection = #connection-option`: only `close` and `keep-alive` matter here.
    private mutating func parseConnection(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) {
        var elementStart = value.lowerBound
        while elementStart <= value.upperBound {
            let elementEnd = bytes.firstIndex(of: .comma, from: elementStart, to: value.upperBound) ?? value.upperBound
            let option = bytes.trimmingWhitespace(elementStart..<elementEnd)
            if bytes.equalsIgnoringCase(option, "close") {
                hasConnectionClose = true
            } else if bytes.equalsIgnoringCase(option, "keep-alive") {
                hasConnectionKeepAlive = true
            }
            elementStart = elementEnd + 1
        }
    }

    /// `uri-host [ ":" port ]` (RFC 9110 §7.2), with an IP literal's contents checked only for
    /// their character set. An empty value is allowed (RFC 9112 §3.2).
    private static func isValidHost(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) -> Bool {
        let end = value.upperBound
        var index = value.lowerBound
        if index < end, bytes[index] == UInt8(ascii: "[") {
            index += 1
            while index < end, bytes[index] != UInt8(ascii: "]") {
                guard bytes[index].isHostCharacter || bytes[index] == .colon else { return false }
                index += 1
            }
            guard index < end else { return false }
            index += 1
        } else {
            while index < end, bytes[index].isHostCharacter { index += 1 }
        }
        guard index < end else { return true }
        guard bytes[index] == .colon else { return false }
        index += 1
        while index < end {
            guard bytes[index].isDecimalDigit else { return false }
            index += 1
        }
        return true
    }

    /// Judges the header section as a whole once its last line is in.
    private mutating func finishHead() throws(HTTPParseError) {
        // RFC 9112 §3.2: HTTP/1.1 requires Host; HTTP/1.0 predates it.
        if head.version == .http11, hostCount == 0 { throw .missingHost }
        // RFC 9112 §6.3: both fields together are how request smuggling is done.
        if hasContentLength, head.isChunked { throw .contentLengthWithTransferEncoding }
        if contentLengthExceedsLimit { throw .bodyTooLarge(limit: limits.maxBodyBytes) }
        switch head.version {
        case .http11: head.isKeepAlive = !hasConnectionClose
        case .http10: head.isKeepAlive = hasConnectionKeepAlive && !hasConnectionClose
        }
    }

    // MARK: - Body

    private mutating func startBody() {
        body = headEnd..<headEnd
        if head.isChunked {
            state = .chunkSize
        } else if let length = head.contentLength, length > 0 {
            requestEnd = headEnd + length
            body = headEnd..<requestEnd
            state = .contentLengthBody
        } else {
            requestEnd = headEnd
            state = .complete
        }
    }

    /// Parses chunk framing byte by byte and moves chunk data down to the end of the decoded body;
    /// returns true once the trailer section has ended.
    private mutating func parseChunkedBody(_ buffer: UnsafeMutableRawBufferPointer, count: Int) throws(HTTPParseError) -> Bool {
        let bytes = UnsafeRawBufferPointer(buffer)
        while true {
            switch state {
            case .chunkData:
                let length = min(chunkRemaining, count - position)
                guard length > 0 else { return false }
                if body.upperBound != position, let base = buffer.baseAddress {
                    // Overlapping ranges: copyMemory is a memmove.
                    (base + body.upperBound).copyMemory(from: base + position, byteCount: length)
                }
                body = body.lowerBound..<(body.upperBound + length)
                position += length
                chunkRemaining -= length
                if chunkRemaining == 0 { state = .chunkDataCarriageReturn }
            case .trailerLines:
                return try parseTrailerLines(bytes, count: count)
            default:
                guard position < count else { return false }
                try parseChunkFraming(bytes[position])
                position += 1
            }
        }
    }

    /// `chunk-size [ chunk-ext ] CRLF` and the CRLF after chunk data (RFC 9112 §7.1).
    private mutating func parseChunkFraming(_ byte: UInt8) throws(HTTPParseError) {
        // Extensions and leading zeros carry no data, so without this budget a client could keep
        // a connection busy with a body that decodes to nothing.
        framingBytes += 1
        guard framingBytes <= maxChunkFramingBytes else {
            throw .chunkFramingTooLarge(limit: maxChunkFramingBytes)
        }
        switch state {
        case .chunkSize:
            if let digit = byte.hexDigitValue {
                // Checked per digit against what the body limit has left, so that a size cannot
                // overflow and the sum of all chunks cannot pass the limit.
                let (shifted, overflow) = chunkRemaining.multipliedReportingOverflow(by: 16)
                guard !overflow, shifted <= limits.maxBodyBytes - body.count - digit else {
                    throw .bodyTooLarge(limit: limits.maxBodyBytes)
                }
                chunkRemaining = shifted + digit
                chunkSizeDigitCount += 1
            } else if chunkSizeDigitCount > 0, byte == .semicolon {
                state = .chunkExtension
            } else if chunkSizeDigitCount > 0, byte == .carriageReturn {
                state = .chunkSizeLineFeed
            } else {
                // Whitespace before `;` (BWS) is refused too: it is optional in the grammar, and
                // parsers that skip it disagree with those that do not.
                throw byte == .carriageReturn ? .invalidChunkSize : Self.unexpected(byte, otherwise: .invalidChunkSize)
            }
        case .chunkExtension:
            // The extension is ignored, but it must not hide a line ending or other controls.
            if byte == .carriageReturn {
                state = .chunkSizeLineFeed
            } else if !byte.isFieldValueCharacter {
                throw Self.unexpected(byte, otherwise: .invalidChunkExtension)
            }
        case .chunkSizeLineFeed:
            guard byte == .lineFeed else { throw .bareCarriageReturn }
            if chunkRemaining > 0 {
                state = .chunkData
            } else {
                state = .trailerLines
                trailerStart = position + 1
                lineStart = trailerStart
            }
        case .chunkDataCarriageReturn:
            guard byte == .carriageReturn else { throw .chunkDataNotTerminated }
            state = .chunkDataLineFeed
        case .chunkDataLineFeed:
            guard byte == .lineFeed else { throw .chunkDataNotTerminated }
            chunkSizeDigitCount = 0
            state = .chunkSize
        default:
            preconditionFailure("parseChunkFraming called outside chunk framing")
        }
    }

    /// `*( field-line CRLF ) CRLF` after the last chunk. Trailer fields are checked with the
    /// header rules, counted against the header limits, and then discarded: nothing here needs
    /// them, and merging them into the head is how trailers smuggle framing fields.
    private mutating func parseTrailerLines(_ bytes: UnsafeRawBufferPointer, count: Int) throws(HTTPParseError) -> Bool {
        let budget = limits.maxHeaderBytes - (headEnd - headStart)
        // Room for the field lines plus the empty line that ends the section.
        let scanLimit = Self.saturatingSum(trailerStart, Self.saturatingSum(budget, 2))
        while true {
            let scanEnd = min(count, scanLimit)
            guard let lineFeed = bytes.firstIndex(of: .lineFeed, from: position, to: scanEnd) else {
                position = scanEnd
                if scanEnd == scanLimit { throw .trailerSectionTooLarge(limit: budget) }
                return false
            }
            let line = try completeLine(bytes, lineFeed: lineFeed)
            if line.isEmpty {
                requestEnd = position
                state = .complete
                return true
            }
            guard position - trailerStart <= budget else { throw .trailerSectionTooLarge(limit: budget) }
            _ = try Self.parseFieldLine(bytes, line)
            guard head.fields.count + trailerFieldCount < limits.maxHeaderCount else {
                throw .tooManyFields(limit: limits.maxHeaderCount)
            }
            trailerFieldCount += 1
        }
    }

    // MARK: - Helpers

    /// The specific error for a byte that no rule allows anywhere, else `otherwise`.
    private static func unexpected(_ byte: UInt8, otherwise: HTTPParseError) -> HTTPParseError {
        switch byte {
        case 0: return .nulByte
        case .carriageReturn: return .bareCarriageReturn
        case .lineFeed: return .bareLineFeed
        default: return otherwise
        }
    }

    private static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }
}
