/// A table name from configuration (`--database-table`), checked and quoted, so that it can be
/// put into SQL text where a parameter cannot stand.
///
/// A name is one or two parts, `table` or `schema.table`, each a letter or `_` followed by up to
/// 62 letters, digits or `_` (ASCII; PostgreSQL keeps 63 bytes of an identifier). Like an
/// unquoted name in SQL it is folded to lower case, and it is always used double-quoted, so a
/// reserved word such as `user` works too.
public struct PostgresIdentifier: Sendable, Hashable, CustomStringConvertible {
    /// The schema, folded to lower case; nil for the search path's first schema.
    public let schema: String?
    /// The name, folded to lower case.
    public let name: String

    /// What a valid name looks like, for a configuration error message.
    public static let rule = "a table name is 1 to 63 ASCII letters, digits or '_', not starting with a digit, optionally schema-qualified as schema.table"

    /// - Parameter text: `table` or `schema.table`.
    /// - Returns: nil when `text` is not a valid name (see `rule`).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy(Self.isValidPart) else { return nil }
        schema = parts.count == 2 ? parts[0].lowercased() : nil
        name = parts[parts.count - 1].lowercased()
    }

    /// The name for SQL text, e.g. `"dt_events"` or `"ingest"."dt_events"`.
    public var quoted: String {
        schema.map { "\"\($0)\".\"\(name)\"" } ?? "\"\(name)\""
    }

    /// A related name in the same schema, e.g. `dt_events_rejected` for `dt_events`.
    /// - Parameter suffix: appended to the name.
    /// - Returns: nil when the result is not a valid name (too long, for one).
    public func appending(_ suffix: String) -> PostgresIdentifier? {
        PostgresIdentifier(schema.map { "\($0).\(name)\(suffix)" } ?? name + suffix)
    }

    /// `schema.table` or `table`, unquoted.
    public var description: String { schema.map { "\($0).\(name)" } ?? name }

    private static func isValidPart(_ part: Substring) -> Bool {
        let bytes = part.utf8
        guard let first = bytes.first, bytes.count <= 63, isLetter(first) || first == UInt8(ascii: "_") else { return false }
        return bytes.allSatisfy { isLetter($0) || $0 == UInt8(ascii: "_") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
