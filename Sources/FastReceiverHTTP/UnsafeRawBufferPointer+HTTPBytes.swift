extension UnsafeRawBufferPointer {
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

    /// Whether `range` holds `literal`, ASCII letters compared without regard to case: the one
    /// case-insensitive comparison of header names, tokens and codings.
    /// - Parameters:
    ///   - range: offsets into this buffer.
    ///   - literal: ASCII text in any case, e.g. `"Content-Length"`.
    @inlinable
    package func equalsIgnoringCase(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { literal in
            guard literal.count == range.count else { return false }
            var index = range.lowerBound
            for expected in literal {
                guard self[index].equalsIgnoringCase(expected) else { return false }
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

    /// The first byte in `range` that a field value may not hold (a control other than HTAB, or
    /// DEL), or nil. Checks eight bytes at a time: a word with no byte below 0x20 and none equal
    /// to 0x7F is valid as a whole, and only a flagged word (a tab, or a real fault) is looked at
    /// byte by byte.
    func firstInvalidFieldValueByte(in range: Range<Int>) -> Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = range.lowerBound
        while index + 8 <= range.upperBound {
            let word = loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let belowSpace = (word &- ones &* 0x20) & ~word & highs
            let delete = word ^ (ones &* 0x7F)
            let hasDelete = (delete &- ones) & ~delete & highs
            if belowSpace | hasDelete != 0 {
                for position in index..<(index + 8) where !self[position].isFieldValueCharacter { return position }
            }
            index += 8
        }
        while index < range.upperBound {
            if !self[index].isFieldValueCharacter { return index }
            index += 1
        }
        return nil
    }
}
