internal import FastReceiverCompression

/// Undoes `Content-Encoding: gzip` (one member or several, RFC 1952 §2.2) or `deflate` into a
/// buffer of fixed size, so the verifier sees the bytes that were signed and a small compressed
/// body cannot inflate without bound.
public final class ContentDecoder {
    /// The codings understood.
    public enum Coding: Sendable { case identity, gzip, deflate }

    public enum Failure: Error, Equatable, Sendable {
        /// The coding is not one this decoder knows.
        case unsupported
        /// The compressed data is malformed.
        case malformed
        /// It inflates past the limit.
        case tooLarge(limit: Int)
    }

    private var output: UnsafeMutableRawBufferPointer?
    /// The inflated-size cap in bytes.
    public let limit: Int

    /// - Parameter limit: the most bytes a body may inflate to (the body limit).
    public init(limit: Int) {
        self.limit = limit
    }

    deinit { output?.deallocate() }

    /// The coding named by a `Content-Encoding` value.
    public static func coding(of value: UnsafeRawBufferPointer) -> Coding? {
        let whole = value.indices
        if value.isEmpty || value.equalsIgnoringCase(whole, "identity") { return .identity }
        if value.equalsIgnoringCase(whole, "gzip") || value.equalsIgnoringCase(whole, "x-gzip") { return .gzip }
        if value.equalsIgnoringCase(whole, "deflate") { return .deflate }
        return nil
    }

    /// Inflates `body`. The result stays valid until the next call.
    public func decode(_ body: UnsafeRawBufferPointer, coding: Coding) -> Result<UnsafeRawBufferPointer, Failure> {
        if coding == .identity { return .success(body) }
        let buffer: UnsafeMutableRawBufferPointer
        if let output {
            buffer = output
        } else {
            buffer = .allocate(byteCount: limit + 1, alignment: 8)
            output = buffer
        }
        // deflate in HTTP means the zlib format; accept raw deflate too, as browsers do.
        var outcome = Inflater.inflate(body, format: coding == .gzip ? .gzip : .zlib, into: buffer)
        if outcome == .malformed && coding == .deflate {
            outcome = Inflater.inflate(body, format: .rawDeflate, into: buffer)
        }
        switch outcome {
        case .inflated(let count) where count <= limit:
            return .success(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        case .inflated, .tooLarge:
            return .failure(.tooLarge(limit: limit))
        case .malformed:
            return .failure(.malformed)
        }
    }
}
