import Glibc

extension UnsafeRawBufferPointer {
    /// Whether `range` holds `lowercaseLiteral`, compared ASCII case-insensitively.
    ///
    /// - Parameter lowercaseLiteral: ASCII text written in lower case.
    func equalsCaseInsensitive(_ range: Range<Int>, _ lowercaseLiteral: StaticString) -> Bool {
        lowercaseLiteral.withUTF8Buffer { literal in
            guard literal.count == range.count else { return false }
            var index = range.lowerBound
            for expected in literal {
                guard self[index].asciiLowercased == expected else { return false }
                index += 1
            }
            return true
        }
    }

    /// Whether `range` holds `literal` byte for byte.
    func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { literal in
            guard literal.count == range.count else { return false }
            var index = range.lowerBound
            for expected in literal {
                guard self[index] == expected else { return false }
                index += 1
            }
            return true
        }
    }

    /// Whether `range` holds `name`, both compared ASCII case-insensitively.
    func equalsIgnoringCase(_ range: Range<Int>, _ name: StaticString) -> Bool {
        name.withUTF8Buffer { name in
            guard name.count == range.count else { return false }
            var index = range.lowerBound
            for expected in name {
                guard self[index].asciiLowercased == expected.asciiLowercased else { return false }
                index += 1
            }
            return true
        }
    }

    /// `range` without leading and trailing spaces and tabs.
    func trimmingWhitespace(_ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, self[lower].isWhitespace { lower += 1 }
        while upper > lower, self[upper - 1].isWhitespace { upper -= 1 }
        return lower..<upper
    }

    /// The first index in `start..<end` holding `byte`, or nil (`memchr`, which scans a word or
    /// more at a time).
    func firstIndex(of byte: UInt8, from start: Int, to end: Int) -> Int? {
        guard start < end, let base = baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), end - start) else { return nil }
        return UnsafeRawPointer(found) - base
    }
}
