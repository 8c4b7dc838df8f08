/// One member of a JSON object as the reader found it: offsets into the bytes it was given.
public struct JSONMember: Sendable, Equatable {
    /// The kinds of JSON value.
    public enum Kind: Sendable, Equatable { case string, number, object, array, bool, null }

    /// The key's bytes between its quotes, still escaped.
    public var key: Range<Int>
    /// Whether the key contains a backslash escape, so its raw bytes are not its value.
    public var keyHasEscapes: Bool
    public var kind: Kind
    /// For strings, the bytes between the quotes (still escaped); otherwise the value's bytes.
    public var value: Range<Int>
    /// For strings, whether the value contains a backslash escape.
    public var valueHasEscapes: Bool

    @usableFromInline
    init(key: Range<Int>, keyHasEscapes: Bool, kind: Kind, value: Range<Int>, valueHasEscapes: Bool) {
        self.key = key
        self.keyHasEscapes = keyHasEscapes
        self.kind = kind
        self.value = value
        self.valueHasEscapes = valueHasEscapes
    }
}
