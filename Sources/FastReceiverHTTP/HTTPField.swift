/// One header field line, as offsets into the caller's read buffer.
///
/// The parser never copies header bytes: a field is two ranges that stay valid as long as the
/// buffer holds the request (``HTTPRequestParser/rebase(by:)`` shifts them when the caller drops
/// earlier bytes).
public struct HTTPField: Sendable, Equatable {
    /// The field name, exactly as sent (names compare case-insensitively).
    public var name: Range<Int>
    /// The field value with leading and trailing spaces and tabs removed; may be empty.
    public var value: Range<Int>

    public init(name: Range<Int>, value: Range<Int>) {
        self.name = name
        self.value = value
    }
}
