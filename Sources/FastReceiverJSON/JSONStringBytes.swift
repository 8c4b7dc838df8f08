/// The UTF-8 bytes a JSON string's contents stand for, decoded lazily from its escaped form.
///
/// Lets the reader compare keys and values without a `String` or a buffer. Expects contents the
/// reader has already validated, so the bytes are valid UTF-8 (an unpaired surrogate escape,
/// which the reader refuses, would decode to U+FFFD rather than run past the contents).
@usableFromInline
struct JSONStringBytes: Sequence, IteratorProtocol {
    private let bytes: UnsafeRawBufferPointer
    private var index: Int
    private let end: Int
    private var pending: (UInt8, UInt8, UInt8) = (0, 0, 0)
    private var pendingCount = 0

    /// - Parameters:
    ///   - bytes: the whole document.
    ///   - range: the string's contents, between its quotes.
    @usableFromInline
    init(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        self.bytes = bytes
        self.index = range.lowerBound
        self.end = range.upperBound
    }

    @usableFromInline
    mutating func next() -> UInt8? {
        if pendingCount > 0 {
            pendingCount -= 1
            let byte = pending.0
            pending = (pending.1, pending.2, 0)
            return byte
        }
        guard index < end else { return nil }
        let byte = bytes[index]
        guard byte == UInt8(ascii: "\\") else {
            index += 1
            return byte
        }
        let escape = bytes[index + 1]
        index += 2
        switch escape {
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "u"): return emit(scalar: readUnicodeEscape())
        default: return escape  // \" \\ \/
        }
    }

    /// Reads the four hex digits after `\u` (and a following low surrogate escape, if any).
    private mutating func readUnicodeEscape() -> UInt32 {
        let high = hex4(at: index)
        index += 4
        guard (0xD800...0xDBFF).contains(high) else {
            return (0xDC00...0xDFFF).contains(high) ? 0xFFFD : high
        }
        guard index + 6 <= end, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
            return 0xFFFD
        }
        let low = hex4(at: index + 2)
        guard (0xDC00...0xDFFF).contains(low) else { return 0xFFFD }
        index += 6
        return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
    }

    private func hex4(at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for position in offset..<(offset + 4) {
            value = value << 4 | UInt32(JSONReader.hexValue(bytes[position]))
        }
        return value
    }

    /// Returns the first UTF-8 byte of `scalar` and queues the rest.
    private mutating func emit(scalar: UInt32) -> UInt8 {
        switch scalar {
        case ..<0x80:
            return UInt8(scalar)
        case ..<0x800:
            pending = (UInt8(0x80 | scalar & 0x3F), 0, 0)
            pendingCount = 1
            return UInt8(0xC0 | scalar >> 6)
        case ..<0x10000:
            pending = (UInt8(0x80 | (scalar >> 6) & 0x3F), UInt8(0x80 | scalar & 0x3F), 0)
            pendingCount = 2
            return UInt8(0xE0 | scalar >> 12)
        default:
            pending = (UInt8(0x80 | (scalar >> 12) & 0x3F), UInt8(0x80 | (scalar >> 6) & 0x3F), UInt8(0x80 | scalar & 0x3F))
            pendingCount = 3
            return UInt8(0xF0 | scalar >> 18)
        }
    }
}
