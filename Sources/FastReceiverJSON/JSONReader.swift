public import Glibc

/// A small, strict JSON reader for the few objects on the request path (a JWT's header and
/// claims, an event's envelope).
///
/// It validates the whole document against RFC 8259 — strings with every escape (surrogate
/// escapes paired, as I-JSON requires), UTF-8, numbers, literals, nesting up to `maxDepth` —
/// and hands back the top-level object's members as offsets into the caller's bytes. It builds
/// no values and allocates nothing, which is why it exists instead of `JSONDecoder`.
public struct JSONReader {
    /// How deep objects and arrays may nest (the top-level object is depth 1). Default 32.
    public var maxDepth: Int

    /// The document being read.
    public let bytes: UnsafeRawBufferPointer
    @usableFromInline var position = 0

    /// - Parameters:
    ///   - bytes: the document; must stay valid while the reader and its members are used.
    ///   - maxDepth: the nesting limit, default 32.
    public init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 32) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Validates the document as exactly one JSON object and calls `body` with each top-level
    /// member, in order.
    ///
    /// - Parameters:
    ///   - keys: when given, scratch space in which keys are remembered so that a repeated key
    ///     (compared after unescaping) is refused; its capacity bounds the number of members.
    ///   - body: called once per member.
    /// - Throws: `JSONError` for anything that is not a well-formed object, and whatever `body` throws.
    @inlinable
    public func forEachMember(
        rejectingDuplicatesIn keys: UnsafeMutableBufferPointer<JSONMember>? = nil,
        _ body: (JSONMember) throws(JSONError) -> Void
    ) throws(JSONError) {
        var scanner = self
        try scanner.scanDocument(rejectingDuplicatesIn: keys, descendingInto: nil, nested: { _ in }, body)
    }

    /// Validates the document as exactly one JSON object and calls `body` with each top-level
    /// member, in order; for each member named `key` whose value is an object, first calls
    /// `nested` with that object's members.
    ///
    /// One pass over the bytes: reading a member of a member this way costs nothing on top of
    /// validating the document, where a second reader over the inner object would scan it again.
    /// Repeated keys are passed on as they come, at both levels.
    ///
    /// - Parameters:
    ///   - key: the top-level key (compared after unescaping) whose object is read member by member.
    ///   - nested: called with each member of each such object, offsets into the whole document.
    ///   - body: called once per top-level member, after `nested` has seen its members.
    /// - Throws: `JSONError` for anything that is not a well-formed object, and whatever the closures throw.
    @inlinable
    public func forEachMember(
        descendingInto key: StaticString,
        nested: (JSONMember) throws(JSONError) -> Void,
        _ body: (JSONMember) throws(JSONError) -> Void
    ) throws(JSONError) {
        var scanner = self
        try scanner.scanDocument(rejectingDuplicatesIn: nil, descendingInto: key, nested: nested, body)
    }

    @inlinable
    mutating func scanDocument(
        rejectingDuplicatesIn keys: UnsafeMutableBufferPointer<JSONMember>?,
        descendingInto nestedKey: StaticString?,
        nested: (JSONMember) throws(JSONError) -> Void,
        _ body: (JSONMember) throws(JSONError) -> Void
    ) throws(JSONError) {
        position = 0
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "{") else { throw .notAnObject }
        try scanMembers(depth: 1, rejectingDuplicatesIn: keys, descendingInto: nestedKey, nested: nested, body)
        skipWhitespace()
        guard position == bytes.count else { throw .syntax(offset: position) }
    }

    /// Scans the object whose `{` is at `position`, at nesting `depth`, calling `body` with each
    /// member (and `nested` with the members of an object under `nestedKey`).
    @inlinable
    mutating func scanMembers(
        depth: Int,
        rejectingDuplicatesIn keys: UnsafeMutableBufferPointer<JSONMember>?,
        descendingInto nestedKey: StaticString?,
        nested: (JSONMember) throws(JSONError) -> Void,
        _ body: (JSONMember) throws(JSONError) -> Void
    ) throws(JSONError) {
        position += 1
        var memberCount = 0
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw .syntax(offset: position) }
            let keyStart = position
            let (key, keyHasEscapes) = try scanString()
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw .syntax(offset: position) }
            position += 1
            skipWhitespace()
            let member: JSONMember
            if let nestedKey, try peek() == UInt8(ascii: "{"), string(key, hasEscapes: keyHasEscapes, equals: nestedKey) {
                guard depth < maxDepth else { throw .tooDeep(limit: maxDepth) }
                let start = position
                try scanMembers(depth: depth + 1, rejectingDuplicatesIn: nil, descendingInto: nil, nested: { _ in }, nested)
                member = JSONMember(key: key, keyHasEscapes: keyHasEscapes, kind: .object, value: start..<position, valueHasEscapes: false)
            } else {
                let (kind, value, valueHasEscapes) = try scanValue(depth: depth + 1)
                member = JSONMember(key: key, keyHasEscapes: keyHasEscapes, kind: kind, value: value, valueHasEscapes: valueHasEscapes)
            }
            if let keys {
                guard memberCount < keys.count else { throw .tooManyMembers(limit: keys.count) }
                for earlier in keys[0..<memberCount] where sameString(earlier.key, earlier.keyHasEscapes, key, keyHasEscapes) {
                    throw .duplicateKey(offset: keyStart)
                }
                keys[memberCount] = member
            }
            memberCount += 1
            try body(member)
            skipWhitespace()
            let separator = try peek()
            position += 1
            if separator == UInt8(ascii: "}") { return }
            guard separator == UInt8(ascii: ",") else { throw .syntax(offset: position - 1) }
        }
    }

    /// Whether the string contents at `range` (escaped as in the document) equal `literal`.
    @inlinable @inline(__always)
    public func string(_ range: Range<Int>, hasEscapes: Bool, equals literal: StaticString) -> Bool {
        let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        if !hasEscapes {
            guard range.count == expected.count else { return false }
            return range.isEmpty || memcmp(bytes.baseAddress! + range.lowerBound, expected.baseAddress!, range.count) == 0
        }
        return JSONStringBytes(bytes, range).elementsEqual(expected)
    }

    /// Whether member `member`'s key is `name`.
    @inlinable @inline(__always)
    public func key(of member: JSONMember, is name: StaticString) -> Bool {
        string(member.key, hasEscapes: member.keyHasEscapes, equals: name)
    }

    /// Decodes string contents into `output`; returns the byte count, or nil if they do not fit.
    public func decodeString(_ range: Range<Int>, into output: UnsafeMutableRawBufferPointer) -> Int? {
        var count = 0
        for byte in JSONStringBytes(bytes, range) {
            guard count < output.count else { return nil }
            output[count] = byte
            count += 1
        }
        return count
    }

    /// The value of a JSON number's bytes (a range the reader returned for a `.number` member).
    ///
    /// Every valid number has a value: one too large for a `Double` is ±infinity, one too small
    /// is ±0, and a zero stays zero whatever its exponent (`0e400` is 0). Only the first 19
    /// significant digits count, which is more than a `Double` holds.
    public func number(_ range: Range<Int>) -> Double {
        var index = range.lowerBound
        let isNegative = bytes[index] == UInt8(ascii: "-")
        if isNegative { index += 1 }
        // The value is `significand × 10^exponent`; digits past the 19th only move the exponent.
        var significand: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        while index < range.upperBound, let digit = Self.digit(bytes[index]) {
            if significantDigits < 19 {
                significand = significand * 10 + UInt64(digit)
                if significand > 0 { significantDigits += 1 }
            } else {
                exponent += 1
            }
            index += 1
        }
        if index < range.upperBound, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < range.upperBound, let digit = Self.digit(bytes[index]) {
                if significantDigits < 19 {
                    significand = significand * 10 + UInt64(digit)
                    if significand > 0 { significantDigits += 1 }
                    exponent -= 1
                }
                index += 1
            }
        }
        if index < range.upperBound, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentIsNegative = false
            if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentIsNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0
            while index < range.upperBound, let digit = Self.digit(bytes[index]) {
                // Far past any double's range either way; capping keeps the sum from overflowing.
                written = min(written * 10 + digit, 100_000)
                index += 1
            }
            exponent += exponentIsNegative ? -written : written
        }
        let magnitude: Double
        if significand == 0 {
            magnitude = 0
        } else if exponent >= 0 {
            // A significand of at least 1 times 10^309 or more is infinite, which is its value here.
            magnitude = Double(significand) * Self.powerOfTen(min(exponent, 400))
        } else if exponent >= -308 {
            magnitude = Double(significand) / Self.powerOfTen(-exponent)
        } else {
            // 10^-exponent itself overflows: divide in two steps so subnormal results survive.
            magnitude = Double(significand) / 1e308 / Self.powerOfTen(min(-exponent - 308, 400))
        }
        return isNegative ? -magnitude : magnitude
    }

    /// 10^`exponent` for 0 ≤ `exponent` ≤ 400 (infinite above 308), by repeated squaring.
    private static func powerOfTen(_ exponent: Int) -> Double {
        var result = 1.0
        var power = 10.0
        var remaining = exponent
        while remaining > 0 {
            if remaining & 1 == 1 { result *= power }
            power *= power
            remaining >>= 1
        }
        return result
    }

    // MARK: scanning

    @inline(__always)
    @inlinable
    func peek() throws(JSONError) -> UInt8 {
        guard position < bytes.count else { throw .syntax(offset: position) }
        return bytes[position]
    }

    @inline(__always)
    @inlinable
    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Scans one value starting at `position`; returns its kind and range.
    @inline(__always)
    @inlinable
    mutating func scanValue(depth: Int) throws(JSONError) -> (JSONMember.Kind, Range<Int>, Bool) {
        let start = position
        switch try peek() {
        case UInt8(ascii: "\""):
            let (contents, hasEscapes) = try scanString()
            return (.string, contents, hasEscapes)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth <= maxDepth else { throw .tooDeep(limit: maxDepth) }
            let isObject = bytes[position] == UInt8(ascii: "{")
            try scanContainer(isObject: isObject, depth: depth)
            return (isObject ? .object : .array, start..<position, false)
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return (.bool, start..<position, false)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return (.bool, start..<position, false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return (.null, start..<position, false)
        default:
            try scanNumber()
            return (.number, start..<position, false)
        }
    }

    @usableFromInline
    mutating func scanContainer(isObject: Bool, depth: Int) throws(JSONError) {
        let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
        position += 1
        skipWhitespace()
        if try peek() == close {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            if isObject {
                guard try peek() == UInt8(ascii: "\"") else { throw .syntax(offset: position) }
                _ = try scanString()
                skipWhitespace()
                guard try peek() == UInt8(ascii: ":") else { throw .syntax(offset: position) }
                position += 1
                skipWhitespace()
            }
            _ = try scanValue(depth: depth + 1)
            skipWhitespace()
            let separator = try peek()
            position += 1
            if separator == close { return }
            guard separator == UInt8(ascii: ",") else { throw .syntax(offset: position - 1) }
        }
    }

    @usableFromInline
    mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard position + expected.count <= bytes.count,
              UnsafeRawBufferPointer(rebasing: bytes[position..<(position + expected.count)]).elementsEqual(expected)
        else { throw .syntax(offset: position) }
        position += expected.count
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    @usableFromInline
    mutating func scanNumber() throws(JSONError) {
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, Self.digit(bytes[position]) != nil else { throw .syntax(offset: position) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, Self.digit(bytes[position]) != nil else { throw .syntax(offset: position) }
            skipDigits()
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, Self.digit(bytes[position]) != nil else { throw .syntax(offset: position) }
            skipDigits()
        }
    }

    private mutating func skipDigits() {
        while position < bytes.count, Self.digit(bytes[position]) != nil { position += 1 }
    }

    /// Scans a string starting at its opening quote; returns the contents' range and whether
    /// they hold escapes. Refuses control characters, bad escapes, unpaired surrogate escapes
    /// and invalid UTF-8, so every string it accepts stands for valid UTF-8.
    @usableFromInline
    mutating func scanString() throws(JSONError) -> (Range<Int>, Bool) {
        let start = position + 1
        var index = start
        var hasEscapes = false
        while index < bytes.count {
            // Plain printable ASCII is the common case: skip it eight bytes at a time, straight to
            // the first byte that is not; only the last few bytes of the document go one by one.
            if index + 8 <= bytes.count {
                let special = Self.specialBytes(in: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
                if special == 0 {
                    index += 8
                    continue
                }
                index += special.trailingZeroBitCount >> 3
            } else if Self.isPlain(bytes[index]) {
                index += 1
                continue
            }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                position = index + 1
                return (start..<index, hasEscapes)
            case UInt8(ascii: "\\"):
                hasEscapes = true
                guard index + 1 < bytes.count else { throw .syntax(offset: index) }
                switch bytes[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    index = try unicodeEscapeEnd(at: index)
                default:
                    throw .syntax(offset: index)
                }
            case 0x00..<0x20:
                throw .syntax(offset: index)
            default:
                index = try utf8SequenceEnd(at: index)
            }
        }
        throw .syntax(offset: index)
    }

    /// Whether `byte` stands for itself inside a string: printable ASCII but a quote or a backslash.
    private static func isPlain(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte < 0x80 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }

    /// Marks the bytes of `word` (eight bytes of a string, the first in the lowest bits) that end
    /// plain ASCII: a control character, a byte of 0x80 or more, a quote or a backslash.
    ///
    /// - Returns: zero when there is none; otherwise the lowest set bit is the high bit of the
    ///   first such byte. That much is exact: below the first such byte no subtraction borrows,
    ///   so only bits above it can be set spuriously.
    @inline(__always)
    private static func specialBytes(in word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let belowSpace = word &- 0x2020_2020_2020_2020
        let quote = (word ^ 0x2222_2222_2222_2222) &- ones
        let backslash = (word ^ 0x5C5C_5C5C_5C5C_5C5C) &- ones
        return (belowSpace | quote | backslash | word) & 0x8080_8080_8080_8080
    }

    /// Validates the `\uXXXX` escape at `index`, and the low surrogate escape that must follow
    /// a high one: an unpaired surrogate stands for no character (RFC 8259 section 8.2 leaves its
    /// meaning open; I-JSON, RFC 7493, and PostgreSQL's `jsonb` refuse it), so it is refused.
    /// - Returns: the offset just past the escape (or the pair).
    private func unicodeEscapeEnd(at index: Int) throws(JSONError) -> Int {
        switch try hexQuad(at: index + 2) {
        case 0xD800...0xDBFF:
            guard index + 12 <= bytes.count, bytes[index + 6] == UInt8(ascii: "\\"), bytes[index + 7] == UInt8(ascii: "u"),
                  case 0xDC00...0xDFFF = try hexQuad(at: index + 8)
            else { throw .syntax(offset: index) }
            return index + 12
        case 0xDC00...0xDFFF:
            throw .syntax(offset: index)
        default:
            return index + 6
        }
    }

    /// The four hex digits at `offset`, as a UTF-16 code unit.
    private func hexQuad(at offset: Int) throws(JSONError) -> UInt16 {
        guard offset + 4 <= bytes.count else { throw .syntax(offset: offset) }
        var unit: UInt16 = 0
        for index in offset..<(offset + 4) {
            let digit = Self.hexValue(bytes[index])
            guard digit <= 15 else { throw .syntax(offset: index) }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    /// Validates the multi-byte UTF-8 sequence at `index` (RFC 3629: no overlongs, no surrogates,
    /// ≤ U+10FFFF).
    /// - Returns: the offset just past it.
    private func utf8SequenceEnd(at index: Int) throws(JSONError) -> Int {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw .syntax(offset: index)
        }
        guard index + length <= bytes.count else { throw .syntax(offset: index) }
        let second = bytes[index + 1]
        guard second >= low, second <= high else { throw .syntax(offset: index + 1) }
        for offset in (index + 2)..<(index + length) where bytes[offset] & 0xC0 != 0x80 {
            throw .syntax(offset: offset)
        }
        return index + length
    }

    @inlinable
    func sameString(_ a: Range<Int>, _ aEscaped: Bool, _ b: Range<Int>, _ bEscaped: Bool) -> Bool {
        if !aEscaped && !bEscaped {
            guard a.count == b.count else { return false }
            return a.isEmpty || memcmp(bytes.baseAddress! + a.lowerBound, bytes.baseAddress! + b.lowerBound, a.count) == 0
        }
        return JSONStringBytes(bytes, a).elementsEqual(JSONStringBytes(bytes, b))
    }

    static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte &- UInt8(ascii: "0")) : nil
    }

    /// The value of a hex digit (either case), or 0xFF when `byte` is not one.
    package static func hexValue(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte &- UInt8(ascii: "A") &+ 10
        default: 0xFF
        }
    }
}
