/// Byte classes from the RFC 9110 / RFC 9112 grammar, as branch-free bitmask tests.
extension UInt8 {
    static let carriageReturn = UInt8(ascii: "\r")
    static let lineFeed = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let horizontalTab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let semicolon = UInt8(ascii: ";")
    static let comma = UInt8(ascii: ",")
    static let slash = UInt8(ascii: "/")
    static let questionMark = UInt8(ascii: "?")

    /// `tchar` (RFC 9110 §5.6.2): the bytes allowed in methods, field names and other tokens.
    var isTokenCharacter: Bool {
        Self.isMember(self, low: 0x03ff_6cfa_0000_0000, high: 0x57ff_ffff_c7ff_fffe)
    }

    /// `unreserved / sub-delims / "%"` (RFC 3986): the bytes of a `reg-name` host.
    var isHostCharacter: Bool {
        Self.isMember(self, low: 0x2bff_7ff2_0000_0000, high: 0x47ff_fffe_87ff_fffe)
    }

    /// `HTAB / SP / VCHAR / obs-text` (RFC 9110 §5.5): the bytes allowed in a field value.
    var isFieldValueCharacter: Bool {
        self == .horizontalTab || (self >= 0x20 && self != 0x7F)
    }

    /// `VCHAR` (0x21–0x7E): the bytes allowed in a request-target.
    var isVisibleASCII: Bool {
        self &- 0x21 < 0x5E
    }

    /// `OWS` is any run of these two bytes.
    var isWhitespace: Bool {
        self == .space || self == .horizontalTab
    }

    var isDecimalDigit: Bool {
        self &- UInt8(ascii: "0") < 10
    }

    /// The value of a hex digit of either case, or nil.
    var hexDigitValue: Int? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(self &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(self &- UInt8(ascii: "a") &+ 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(self &- UInt8(ascii: "A") &+ 10)
        default: return nil
        }
    }

    /// Whether this byte and `other` are the same once ASCII letters are put in one case.
    ///
    /// Only letters differ by case: two bytes that differ in the 0x20 bit alone, such as `\r`
    /// and `-` or `@` and `` ` ``, are different bytes.
    @inlinable
    package func equalsIgnoringCase(_ other: UInt8) -> Bool {
        let difference = self ^ other
        return difference == 0 || (difference == 0x20 && (self | 0x20) &- UInt8(ascii: "a") < 26)
    }

    private static func isMember(_ byte: UInt8, low: UInt64, high: UInt64) -> Bool {
        let mask = byte < 64 ? low : high
        return byte < 128 && (mask >> UInt64(byte & 63)) & 1 == 1
    }
}
