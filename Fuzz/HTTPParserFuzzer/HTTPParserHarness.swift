// Shared by the fuzzer and the test target (Tests/FastReceiverHTTPTests links to this file), so
// that regression inputs replayed by `swift test` go through exactly the checks the fuzzer made.
import FastReceiverHTTP

/// Drives ``HTTPRequestParser`` over an input delivered in pieces, records what it parsed, and
/// checks the invariants every caller relies on.
enum HTTPParserHarness {
    /// One parsed request, as bytes, so that results from differently fed runs compare equal.
    struct Request: Equatable, CustomStringConvertible {
        var method: HTTPMethod
        var version: HTTPVersion
        var target: [UInt8]
        var path: [UInt8]
        var isKeepAlive: Bool
        var expectsContinue: Bool
        var contentLength: Int?
        var isChunked: Bool
        var contentEncoding: [UInt8]?
        var fields: [Field]
        var body: [UInt8]
        /// The offset just past the request in the input, independent of dropped bytes.
        var end: Int

        struct Field: Equatable {
            var name: [UInt8]
            var value: [UInt8]
        }

        var description: String {
            let fieldText = fields.map { "\(String(decoding: $0.name, as: UTF8.self)): \(String(decoding: $0.value, as: UTF8.self))" }
            return "\(method) \(String(decoding: target, as: UTF8.self)) \(version) fields=\(fieldText) body=\(body.count) bytes end=\(end)"
        }
    }

    /// What a run over the whole input amounted to.
    struct Outcome: Equatable {
        var requests: [Request] = []
        /// Nil when the input ended while the parser wanted more bytes.
        var error: HTTPParseError?
    }

    /// Limits small enough that the fuzzer reaches every limit with short inputs.
    static let smallLimits = HTTPLimits(maxHeaderBytes: 96, maxHeaderCount: 4, maxBodyBytes: 40)

    /// Parses `input` delivered in pieces that end at `cuts`, as a connection would see it.
    ///
    /// - Parameters:
    ///   - input: The bytes a client sent.
    ///   - limits: The parser's limits.
    ///   - cuts: Ascending offsets at which a delivery ends; the rest arrives as a last piece.
    ///   - dropsConsumedBytes: Whether finished requests are dropped from the buffer front with
    ///     `rebase(by:)` after each one, as a server with a small buffer does.
    ///   - compactsFraming: Whether chunk framing is dropped with `compactChunkFraming` whenever
    ///     the parser needs more data, as the server does; then the bytes kept for the request
    ///     being parsed must always leave room in a buffer of `maxRequestBytes`.
    static func run(
        _ input: UnsafeRawBufferPointer,
        limits: HTTPLimits = HTTPLimits(),
        cuts: some Sequence<Int> = [],
        dropsConsumedBytes: Bool = false,
        compactsFraming: Bool = false
    ) -> Outcome {
        let guardBytes = 8
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: input.count + guardBytes, alignment: 1)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: guardByte)

        var parser = HTTPRequestParser(limits: limits)
        var outcome = Outcome()
        var cutIterator = cuts.makeIterator()
        var delivered = 0
        var count = 0
        var dropped = 0
        // Framing bytes compacted away, in total and before the current request's body.
        var compacted = 0
        var compactedBeforeBody = 0
        var headSeen: HTTPRequestHead?

        func deliverMore() -> Bool {
            guard delivered < input.count else { return false }
            var end = input.count
            while let cut = cutIterator.next() {
                if cut > delivered {
                    end = min(cut, input.count)
                    break
                }
            }
            let length = end - delivered
            UnsafeMutableRawBufferPointer(rebasing: buffer[count..<(count + length)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: input[delivered..<end]))
            delivered = end
            count += length
            return true
        }

        while true {
            let event = parser.parse(buffer, count: count)
            for index in count..<min(count + guardBytes, buffer.count) {
                precondition(buffer[index] == guardByte, "the parser wrote past count")
            }
            switch event {
            case .needMoreData:
                precondition(headSeen == nil || parser.requiredCapacity.map { $0 > count } ?? true,
                             "needMoreData although the body is complete")
                if compactsFraming {
                    let kept = parser.compactChunkFraming(buffer, count: count)
                    precondition(kept <= count, "compaction added bytes")
                    buffer[kept..<count].initializeMemory(as: UInt8.self, repeating: guardByte)
                    compacted += count - kept
                    count = kept
                    precondition(count - parser.consumedBytes < limits.maxRequestBytes,
                                 "the request's bytes so far leave no room in a buffer of maxRequestBytes")
                }
                guard deliverMore() else { return outcome }
            case .head:
                precondition(headSeen == nil, ".head emitted twice for one request")
                headSeen = parser.head
                compactedBeforeBody = compacted
                checkHead(parser, count: count)
            case .complete:
                precondition(headSeen == parser.head, "the head changed while the body was read")
                let request = checkComplete(parser, buffer: UnsafeRawBufferPointer(buffer), count: count, dropped: dropped + compacted)
                let encodedBody = UnsafeRawBufferPointer(rebasing: input[(dropped + compactedBeforeBody + parser.body.lowerBound)..<request.end])
                precondition(request.body == (request.isChunked ? dechunk(encodedBody) : Array(encodedBody)),
                             "the body differs from the bytes sent")
                outcome.requests.append(request)
                parser.startNextRequest()
                headSeen = nil
                if dropsConsumedBytes {
                    let consumed = parser.consumedBytes
                    let remaining = count - consumed
                    if let base = buffer.baseAddress, remaining > 0 {
                        base.copyMemory(from: base + consumed, byteCount: remaining)
                    }
                    buffer[remaining..<count].initializeMemory(as: UInt8.self, repeating: guardByte)
                    count = remaining
                    dropped += consumed
                    parser.rebase(by: consumed)
                }
            case .error(let error):
                precondition(parser.parse(buffer, count: count) == .error(error), "a failed parser did not stay failed")
                precondition([400, 413, 417, 431, 505].contains(error.status), "unexpected status \(error.status)")
                outcome.error = error
                return outcome
            }
        }
    }

    /// Runs `input` whole, byte by byte, split in two and in several pieces, with default and small
    /// limits and with and without dropping consumed bytes, and traps when any run differs.
    static func checkConsistency(_ input: UnsafeRawBufferPointer) {
        let count = input.count
        var seed = UInt64(count)
        for byte in input { seed = (seed ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let halves = [count / 2, count / 3, Int(seed % UInt64(count + 1))]
        let pieces = (0..<4).map { step in Int((seed >> (UInt64(step) * 16)) % UInt64(count + 1)) }.sorted()

        for limits in [HTTPLimits(), smallLimits] {
            let reference = run(input, limits: limits)
            func expectSame(_ other: Outcome, _ how: String) {
                precondition(other == reference, "feeding \(how) gave \(other) instead of \(reference)")
            }
            expectSame(run(input, limits: limits, dropsConsumedBytes: true), "whole, dropping consumed bytes")
            if count <= 4096 {
                expectSame(run(input, limits: limits, cuts: 1...max(count, 1), dropsConsumedBytes: true, compactsFraming: true),
                           "one byte at a time, compacting framing")
            }
            for half in halves {
                expectSame(run(input, limits: limits, cuts: [half]), "split at \(half)")
            }
            expectSame(run(input, limits: limits, cuts: pieces, dropsConsumedBytes: true, compactsFraming: true),
                       "split at \(pieces), compacting framing")
        }
    }

    private static let guardByte: UInt8 = 0xA5

    /// Removes chunked framing the simplest way, as an oracle for the parser's in-place decoding;
    /// `encoded` is a body the parser accepted, so its framing is known to be well-formed.
    static func dechunk(_ encoded: UnsafeRawBufferPointer) -> [UInt8] {
        var decoded: [UInt8] = []
        var index = 0
        while true {
            var size = 0
            while let digit = Character(Unicode.Scalar(encoded[index])).hexDigitValue {
                size = size * 16 + digit
                index += 1
            }
            while encoded[index] != UInt8(ascii: "\n") { index += 1 }
            index += 1
            if size == 0 { return decoded }
            decoded += encoded[index..<(index + size)]
            index += size + 2
        }
    }

    private static func checkHead(_ parser: HTTPRequestParser, count: Int) {
        let head = parser.head
        let start = parser.consumedBytes
        func within(_ range: Range<Int>) -> Bool { range.lowerBound >= start && range.upperBound <= count }
        precondition(within(head.target) && within(head.path), "target outside the request")
        precondition(head.path.lowerBound >= head.target.lowerBound && head.path.upperBound <= head.target.upperBound, "path outside the target")
        precondition(head.fields.count <= parser.limits.maxHeaderCount, "more fields than the limit")
        for field in head.fields {
            precondition(within(field.name) && !field.name.isEmpty && within(field.value), "field outside the request")
        }
        precondition(head.contentEncoding.map(within) ?? true, "Content-Encoding outside the request")
        precondition(!(head.isChunked && head.contentLength != nil), "both chunked and Content-Length")
        precondition((head.contentLength ?? 0) <= parser.limits.maxBodyBytes, "Content-Length above the limit")
        precondition(!head.expectsContinue || head.version == .http11, "100-continue on HTTP/1.0")
        if head.isChunked {
            precondition(parser.requiredCapacity == nil, "requiredCapacity known for a chunked body")
        } else {
            precondition(parser.requiredCapacity != nil, "requiredCapacity unknown for a Content-Length body")
        }
    }

    /// - Parameter dropped: how many bytes of the input lie before offset 0 or were compacted away.
    private static func checkComplete(_ parser: HTTPRequestParser, buffer: UnsafeRawBufferPointer, count: Int, dropped: Int) -> Request {
        checkHead(parser, count: count)
        let head = parser.head
        let body = parser.body
        let start = parser.consumedBytes
        precondition(body.lowerBound >= head.target.upperBound && body.upperBound <= parser.requestEnd, "body outside the request")
        precondition(parser.requestEnd <= count, "request ends past the received bytes")
        precondition(body.count <= parser.limits.maxBodyBytes, "body above the limit")
        if !head.isChunked {
            // A chunked request's framing may be far larger; `run` checks what it keeps instead.
            precondition(parser.requestEnd - start <= parser.limits.maxRequestBytes, "request larger than maxRequestBytes")
            precondition(body.count == head.contentLength ?? 0, "body length differs from Content-Length")
            precondition(parser.requiredCapacity == parser.requestEnd, "requiredCapacity differs from the request end")
        }
        func bytes(_ range: Range<Int>) -> [UInt8] { Array(buffer[range]) }
        return Request(
            method: head.method,
            version: head.version,
            target: bytes(head.target),
            path: bytes(head.path),
            isKeepAlive: head.isKeepAlive,
            expectsContinue: head.expectsContinue,
            contentLength: head.contentLength,
            isChunked: head.isChunked,
            contentEncoding: head.contentEncoding.map(bytes),
            fields: head.fields.map { Request.Field(name: bytes($0.name), value: bytes($0.value)) },
            body: bytes(body),
            end: dropped + parser.requestEnd
        )
    }
}
