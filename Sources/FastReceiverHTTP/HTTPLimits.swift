/// The size limits the HTTP/1.1 parser enforces on every request.
///
/// The limits bound how much memory one connection can make the server hold, and they are
/// checked as bytes arrive: the parser refuses a request as soon as it can tell the request will
/// not fit, so a client can never make the server wait for (or buffer) more than the limits allow.
/// Every limit is a plain value so that it can come from a command-line flag.
public struct HTTPLimits: Sendable, Equatable {
    /// The largest head, in bytes: the request line, every header field line and the empty line
    /// that ends the header section, CRLFs included. Default 16 KiB.
    ///
    /// A head of exactly this size is accepted; the parser answers 431 as soon as it has seen this
    /// many bytes without the head ending. Trailer field lines of a chunked body draw on the same
    /// budget; the framing of a chunked body has its own, ``maxChunkFramingBytes``.
    public var maxHeaderBytes: Int

    /// The most header fields one request may carry, trailer fields included. Default 100.
    ///
    /// The parser reserves storage for this many fields once, when it is created.
    public var maxHeaderCount: Int

    /// The largest body, in decoded bytes (after removing chunked framing). Default 1 MiB.
    ///
    /// A `Content-Length` above it is refused with 413 before any body byte is read; a chunked body
    /// is refused as soon as its chunk sizes add up to more. However a body within it is chunked,
    /// it is accepted: see ``maxChunkFramingBytes``.
    public var maxBodyBytes: Int

    /// Creates limits. ``HTTPRequestParser`` requires `maxHeaderBytes` to be positive and the other
    /// two to be zero or more; validate values that come from flags before building a parser.
    ///
    /// - Parameters:
    ///   - maxHeaderBytes: The largest head in bytes, CRLFs included. Default 16 KiB.
    ///   - maxHeaderCount: The most header fields per request, trailer fields included. Default 100.
    ///   - maxBodyBytes: The largest decoded body in bytes. Default 1 MiB.
    public init(maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100, maxBodyBytes: Int = 1 << 20) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }

    /// The most bytes of chunked framing one body may carry: chunk-size lines, extensions and the
    /// CRLF after each chunk's data. `maxHeaderBytes + 8 × maxBodyBytes`, saturating at `Int.max`
    /// (16 KiB + 8 MiB by default).
    ///
    /// In proportion to the body limit, so that any body within ``maxBodyBytes`` is accepted
    /// however it is chunked: even one byte a chunk (`1\r\nX\r\n`, 5 bytes of framing a byte)
    /// fits, with room for short extensions. It still bounds what a client can send that decodes
    /// to nothing (leading zeros, extensions), and it costs no memory: the framing
    /// is dropped from the buffer as it is parsed (``HTTPRequestParser/compactChunkFraming(_:count:)``).
    public var maxChunkFramingBytes: Int {
        let (scaled, overflow1) = maxBodyBytes.multipliedReportingOverflow(by: 8)
        let (total, overflow2) = scaled.addingReportingOverflow(maxHeaderBytes)
        return overflow1 || overflow2 ? Int.max : total
    }

    /// The most bytes a single accepted request can occupy in the read buffer.
    ///
    /// A connection whose buffer can grow to this size never has to refuse a request that the
    /// parser would accept, provided it calls ``HTTPRequestParser/compactChunkFraming(_:count:)``
    /// whenever the parser needs more data. It covers one skipped empty line before the request
    /// line (2), the head and any trailer field lines (`maxHeaderBytes`), the empty line that ends
    /// a trailer section (2), the body (`maxBodyBytes`), and `maxHeaderBytes` more, so that chunk
    /// framing always has room to arrive before it is parsed and dropped. It saturates at
    /// `Int.max` rather than overflow.
    public var maxRequestBytes: Int {
        let (framed, overflow1) = maxHeaderBytes.multipliedReportingOverflow(by: 2)
        let (withBody, overflow2) = framed.addingReportingOverflow(maxBodyBytes)
        let (total, overflow3) = withBody.addingReportingOverflow(4)
        return overflow1 || overflow2 || overflow3 ? Int.max : total
    }
}
