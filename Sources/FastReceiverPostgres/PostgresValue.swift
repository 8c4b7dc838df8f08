/// One value in PostgreSQL's binary format, tagged with its type: a bound statement parameter,
/// an element of an array parameter, or a field of a binary COPY row.
///
/// Binary rather than text format, so that nothing is escaped or quoted: a text or `jsonb` value
/// travels as its UTF-8 bytes (a `jsonb` one behind a version byte), and bytes the type does not
/// accept (a NUL, invalid UTF-8) are refused by the server, never cut short.
public struct PostgresValue: Sendable, Hashable {
    /// The value's type, or nil for a NULL whose type the server infers from the statement.
    public let type: PostgresType?
    /// The binary representation; nil is SQL NULL.
    let bytes: [UInt8]?

    /// SQL NULL, typed by the statement (`$1::text`).
    public static let null = PostgresValue(type: nil, bytes: nil)

    /// SQL NULL of `type`, e.g. an array element.
    public static func null(_ type: PostgresType) -> PostgresValue { PostgresValue(type: type, bytes: nil) }

    /// A `text` value.
    public static func text(_ value: String) -> PostgresValue { PostgresValue(type: .text, bytes: Array(value.utf8)) }

    /// A `text` value from UTF-8 bytes (the server refuses invalid UTF-8 and NUL).
    public static func text(utf8: some Sequence<UInt8>) -> PostgresValue { PostgresValue(type: .text, bytes: Array(utf8)) }

    /// A `bigint` value.
    public static func int64(_ value: Int64) -> PostgresValue {
        PostgresValue(type: .int8, bytes: withUnsafeBytes(of: value.bigEndian) { Array($0) })
    }

    /// A `boolean` value.
    public static func bool(_ value: Bool) -> PostgresValue { PostgresValue(type: .bool, bytes: [value ? 1 : 0]) }

    /// A `bytea` value.
    public static func bytea(_ bytes: some Sequence<UInt8>) -> PostgresValue { PostgresValue(type: .bytea, bytes: Array(bytes)) }

    /// A `jsonb` value from JSON text; the server parses it and refuses what `jsonb` cannot hold.
    public static func jsonb(_ json: String) -> PostgresValue { jsonb(utf8: json.utf8) }

    /// A `jsonb` value from the UTF-8 bytes of JSON text, e.g. an event body as received.
    public static func jsonb(utf8: some Sequence<UInt8>) -> PostgresValue {
        var bytes: [UInt8] = [1]  // jsonb's binary format: version 1, then the JSON text
        bytes.append(contentsOf: utf8)
        return PostgresValue(type: .jsonb, bytes: bytes)
    }

    /// A `timestamptz` value.
    ///
    /// - Parameter unixMicroseconds: microseconds since 1970-01-01T00:00:00Z. A value more than
    ///   about 290 000 years before that saturates to `-infinity`.
    public static func timestamptz(unixMicroseconds: Int64) -> PostgresValue {
        PostgresValue(type: .timestamptz, bytes: withUnsafeBytes(of: postgresMicroseconds(unixMicroseconds: unixMicroseconds).bigEndian) { Array($0) })
    }

    /// A time as the binary format counts it: microseconds from 2000-01-01T00:00:00Z, saturating
    /// to `-infinity` more than about 290 000 years before 1970.
    static func postgresMicroseconds(unixMicroseconds: Int64) -> Int64 {
        let (sincePostgresEpoch, overflow) = unixMicroseconds.subtractingReportingOverflow(946_684_800_000_000)
        return overflow ? Int64.min : sincePostgresEpoch
    }

    /// A one-dimensional array, e.g. a `jsonb[]` parameter for `unnest($1::jsonb[])`.
    ///
    /// - Parameters:
    ///   - elements: values of `elementType`, or NULLs.
    ///   - elementType: a type with an `arrayType`.
    public static func array(_ elements: [PostgresValue], of elementType: PostgresType) -> PostgresValue {
        var builder = PostgresArrayBuilder(elementType: elementType)
        for element in elements { builder.append(element) }
        return builder.value
    }
}

/// Builds a one-dimensional array value element by element, in the binary format
/// `PostgresValue.array(_:of:)` produces, without holding the elements twice.
public struct PostgresArrayBuilder: Sendable {
    public let elementType: PostgresType
    private var elements = PostgresBinaryWriter()
    public private(set) var count = 0
    private var hasNulls = false

    /// - Parameter elementType: a type with an `arrayType` (this module's built-in types all have one).
    public init(elementType: PostgresType) {
        precondition(elementType.arrayType != nil, "PostgreSQL has no array type of \(elementType) known here")
        self.elementType = elementType
    }

    /// Appends one element.
    /// - Parameter element: a value of `elementType`, or a NULL.
    public mutating func append(_ element: PostgresValue) {
        precondition(element.type == nil || element.type == elementType, "a \(elementType) array cannot hold a \(element.type?.name ?? "")")
        hasNulls = hasNulls || element.bytes == nil
        elements.appendField(element)
        count += 1
    }

    /// The array, ready to bind.
    public var value: PostgresValue {
        var array = PostgresBinaryWriter()
        array.reserve(20 + elements.bytes.count)
        array.append(Int32(count == 0 ? 0 : 1))  // dimensions
        array.append(Int32(hasNulls ? 1 : 0))
        array.append(elementType.oid)
        if count > 0 {
            array.append(Self.int32(count))
            array.append(Int32(1))  // lower bound
        }
        array.bytes += elements.bytes
        return PostgresValue(type: elementType.arrayType, bytes: array.bytes)
    }

    private static func int32(_ count: Int) -> Int32 {
        guard let value = Int32(exactly: count) else { preconditionFailure("an array of more than 2^31 elements") }
        return value
    }
}

/// Rows for `COPY … FROM STDIN (FORMAT binary)`, encoded as they are appended, for
/// `PostgresConnection.copy(_:rows:)` or, a piece at a time, `sendCopyData(_:)`.
///
/// Each field is sent in the binary format of the column it lands in (a COPY row carries no
/// types), so a row's values must match the target table's column types in order. A row is
/// appended whole (`append(_:)`), or field by field from bytes the caller holds, which allocates
/// nothing once the buffer has grown: `beginRow()`, then exactly `columnCount` of the
/// `append…` field calls.
public struct PostgresCopyRows: Sendable {
    /// Fields per row.
    public let columnCount: Int
    /// Rows appended so far, including rows already sent.
    public private(set) var count = 0
    private var stream = PostgresBinaryWriter()
    /// Fields still owed to the row begun last.
    private var fieldsOwed = 0

    /// - Parameter columnCount: the number of columns the COPY statement names.
    public init(columnCount: Int) {
        precondition(columnCount > 0 && columnCount <= Int(Int16.max), "a COPY row has 1...32767 columns")
        self.columnCount = columnCount
    }

    /// What starts every binary COPY stream: the signature, no flags, no header extension.
    static let header: [UInt8] = Array("PGCOPY".utf8) + [0x0A, 0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]

    /// Appends one row.
    /// - Parameter row: exactly `columnCount` values, in the COPY statement's column order.
    public mutating func append(_ row: [PostgresValue]) {
        precondition(row.count == columnCount, "a COPY row of \(columnCount) columns got \(row.count) values")
        beginRow()
        for value in row { stream.appendField(value) }
        fieldsOwed = 0
    }

    /// Starts a row; exactly `columnCount` field calls follow.
    public mutating func beginRow() {
        precondition(fieldsOwed == 0, "the previous COPY row is missing \(fieldsOwed) fields")
        stream.append(Int16(columnCount))
        fieldsOwed = columnCount
        count += 1
    }

    /// Appends a NULL field.
    public mutating func appendNull() {
        owe()
        stream.append(Int32(-1))
    }

    /// Appends a `text` field from UTF-8 bytes (the server refuses invalid UTF-8 and NUL).
    public mutating func appendText(_ utf8: UnsafeRawBufferPointer) {
        owe()
        stream.appendLength(utf8.count)
        stream.bytes += utf8
    }

    /// Appends a `jsonb` field from the UTF-8 bytes of JSON text, which the server parses.
    public mutating func appendJSONB(_ json: UnsafeRawBufferPointer) {
        owe()
        stream.appendLength(json.count + 1)
        stream.bytes.append(1)  // jsonb's binary format: version 1, then the JSON text
        stream.bytes += json
    }

    /// Appends a `bytea` field.
    public mutating func appendBytea(_ bytes: UnsafeRawBufferPointer) {
        owe()
        stream.appendLength(bytes.count)
        stream.bytes += bytes
    }

    /// Appends a `bigint` field.
    public mutating func appendInt64(_ value: Int64) {
        owe()
        stream.append(Int32(8))
        stream.append(value)
    }

    /// Appends a `timestamptz` field.
    /// - Parameter unixMicroseconds: microseconds since 1970-01-01T00:00:00Z.
    public mutating func appendTimestamptz(unixMicroseconds: Int64) {
        owe()
        stream.append(Int32(8))
        stream.append(PostgresValue.postgresMicroseconds(unixMicroseconds: unixMicroseconds))
    }

    private mutating func owe() {
        precondition(fieldsOwed > 0, "a COPY row of \(columnCount) columns got another field")
        fieldsOwed -= 1
    }

    /// Bytes appended and not yet sent, a measure for bounding a batch.
    public var byteCount: Int { stream.bytes.count }

    /// Calls `body` with the rows' bytes not yet sent.
    func withPendingBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        stream.bytes.withUnsafeBytes(body)
    }

    /// Forgets the bytes `withPendingBytes` showed, keeping the buffer's capacity.
    mutating func removeSentBytes() {
        stream.bytes.removeAll(keepingCapacity: true)
    }

    /// The field count -1 that ends a binary COPY stream.
    static let trailer: [UInt8] = [0xFF, 0xFF]
}

/// Big-endian integers and length-prefixed fields: the framing binary COPY rows and array
/// elements share.
struct PostgresBinaryWriter: Sendable {
    var bytes: [UInt8] = []

    mutating func reserve(_ count: Int) { bytes.reserveCapacity(count) }

    mutating func append<Integer: FixedWidthInteger>(_ value: Integer) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }

    /// A value behind its 4-byte length, or the length -1 for NULL.
    mutating func appendField(_ value: PostgresValue) {
        guard let field = value.bytes else {
            append(Int32(-1))
            return
        }
        appendLength(field.count)
        bytes += field
    }

    /// A field's 4-byte length.
    mutating func appendLength(_ count: Int) {
        guard let length = Int32(exactly: count) else { preconditionFailure("a value of 2 GiB or more") }
        append(length)
    }
}
