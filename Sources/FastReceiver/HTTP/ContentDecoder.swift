import CZlib

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
        if value.isEmpty || equalsIgnoringCase(value, "identity") { return .identity }
        if equalsIgnoringCase(value, "gzip") || equalsIgnoringCase(value, "x-gzip") { return .gzip }
        if equalsIgnoringCase(value, "deflate") { return .deflate }
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
        let windowBits: Int32 = coding == .gzip ? 31 : 15
        var written = fr_inflate(windowBits, body.baseAddress, body.count, buffer.baseAddress, buffer.count)
        if written == -1 && coding == .deflate {
            written = fr_inflate(-15, body.baseAddress, body.count, buffer.baseAddress, buffer.count)
        }
        if written == -2 || written > limit { return .failure(.tooLarge(limit: limit)) }
        guard written >= 0 else { return .failure(.malformed) }
        return .success(UnsafeRawBufferPointer(rebasing: buffer[..<Int(written)]))
    }

    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        for index in 0..<bytes.count where bytes[index] | 0x20 != literal.utf8Start[index] | 0x20 { return false }
        return true
    }
}
