/// A PostgreSQL data type, by the OID the server knows it by: sent with every bound parameter so
/// the server reads the binary value as that type, and written into the header of an array.
public struct PostgresType: Sendable, Hashable, CustomStringConvertible {
    /// The type's OID in `pg_type` (fixed for built-in types).
    public let oid: UInt32
    /// The SQL name, for messages.
    public let name: String

    public static let bool = PostgresType(oid: 16, name: "boolean")
    public static let bytea = PostgresType(oid: 17, name: "bytea")
    public static let int8 = PostgresType(oid: 20, name: "bigint")
    public static let text = PostgresType(oid: 25, name: "text")
    public static let timestamptz = PostgresType(oid: 1184, name: "timestamptz")
    public static let jsonb = PostgresType(oid: 3802, name: "jsonb")

    /// The array type whose elements are of this type, e.g. `text[]` for `text`; nil for a type
    /// this module does not know an array type of.
    public var arrayType: PostgresType? {
        switch oid {
        case 16: PostgresType(oid: 1000, name: "boolean[]")
        case 17: PostgresType(oid: 1001, name: "bytea[]")
        case 20: PostgresType(oid: 1016, name: "bigint[]")
        case 25: PostgresType(oid: 1009, name: "text[]")
        case 1184: PostgresType(oid: 1185, name: "timestamptz[]")
        case 3802: PostgresType(oid: 3807, name: "jsonb[]")
        default: nil
        }
    }

    public var description: String { name }
}
