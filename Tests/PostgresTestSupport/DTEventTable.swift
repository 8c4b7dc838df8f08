internal import FastReceiverForwarding
public import FastReceiverPostgres
internal import Foundation

/// A table of DT events with the columns of DESIGN §8, and the two ways of inserting a batch
/// exactly once that the forwarder can choose between, so that tests check both and the
/// `PostgresInsert` benchmark measures the same statements:
///
/// - `insertByCopy`: binary COPY into a temporary table, then `INSERT … SELECT … ON CONFLICT DO NOTHING`;
/// - `insertByArrays`: one `INSERT … SELECT * FROM unnest($1::text[], …) ON CONFLICT DO NOTHING`.
///
/// Each returns the rows it inserted; duplicates, within the batch or already stored, are skipped.
/// Run them inside a transaction (the COPY's temporary table empties at commit).
///
/// With `Columns.derived` the client sends the body without `labels` and `data`, and the server
/// takes them from the body it has already parsed (`body->'labels'`, `body->'event'->'data'`):
/// the same rows, with a third less JSON for the server to parse.
public struct DTEventTable: Sendable {
    /// Which columns the client sends.
    public enum Columns: String, Sendable, CaseIterable {
        /// Every column, `labels` and `data` as JSON of their own.
        case sent
        /// All but `labels` and `data`, which the server derives from `body`.
        case derived
    }

    /// One event as the forwarder will have it: fields read from the body, and the body itself.
    public struct Row: Sendable {
        public var eventID: String
        public var eventType: String?
        public var projectID: String?
        public var deviceID: String?
        public var eventTimeMicroseconds: Int64?
        public var receivedAtMicroseconds: Int64
        public var labels: String?
        public var data: String?
        public var body: String

        /// The row's values for `columns`, in the table's column order.
        func values(_ columns: Columns) -> [PostgresValue] {
            let head: [PostgresValue] = [
                .text(eventID),
                eventType.map(PostgresValue.text) ?? .null(.text),
                projectID.map(PostgresValue.text) ?? .null(.text),
                deviceID.map(PostgresValue.text) ?? .null(.text),
                eventTimeMicroseconds.map { .timestamptz(unixMicroseconds: $0) } ?? .null(.timestamptz),
                .timestamptz(unixMicroseconds: receivedAtMicroseconds),
            ]
            guard columns == .sent else { return head + [.jsonb(body)] }
            return head + [labels.map(PostgresValue.jsonb) ?? .null(.jsonb), data.map(PostgresValue.jsonb) ?? .null(.jsonb), .jsonb(body)]
        }
    }

    /// The column names in order, and each column's type.
    static let columns: [(name: String, type: PostgresType)] = [
        ("event_id", .text), ("event_type", .text), ("project_id", .text), ("device_id", .text),
        ("event_time", .timestamptz), ("received_at", .timestamptz), ("labels", .jsonb), ("data", .jsonb), ("body", .jsonb),
    ]

    public let table: PostgresIdentifier
    public let sentColumns: Columns
    /// The columns the client sends, in order.
    private let sent: [(name: String, type: PostgresType)]
    /// Every column of the table.
    private let columnList = DTEventTable.columns.map(\.name).joined(separator: ", ")
    /// What `INSERT … SELECT` takes from the sent columns to fill every column.
    private let selectList: String
    /// The per-connection temporary table COPY fills.
    private static let staging = "fast_receiver_batch"

    /// - Parameters:
    ///   - table: the table's name.
    ///   - columns: which columns the client sends; default all.
    public init(_ table: PostgresIdentifier, columns: Columns = .sent) {
        self.table = table
        sentColumns = columns
        sent = columns == .sent ? Self.columns : Self.columns.filter { $0.name != "labels" && $0.name != "data" }
        selectList = columns == .sent
            ? columnList
            : "event_id, event_type, project_id, device_id, event_time, received_at, body->'labels', body->'event'->'data', body"
    }

    /// Creates the table if it does not exist.
    public func create(on connection: PostgresConnection) throws(PostgresError) {
        try connection.execute(ForwardingTables.createEventsTable(table))
    }

    /// Rows stored in the table.
    public func count(on connection: PostgresConnection) throws(PostgresError) -> Int64 {
        try connection.execute("SELECT count(*) FROM \(table.quoted)").int64(row: 0, column: 0) ?? 0
    }

    /// Inserts `rows` through binary COPY into a temporary table and one `INSERT … SELECT`.
    /// - Returns: the rows inserted (duplicates skipped).
    public func insertByCopy(_ rows: some Collection<Row>, on connection: PostgresConnection) throws(PostgresError) -> Int {
        try connection.execute("""
            CREATE TEMPORARY TABLE IF NOT EXISTS \(Self.staging) (LIKE \(table.quoted)) ON COMMIT DELETE ROWS
            """)
        var copy = PostgresCopyRows(columnCount: sent.count)
        for row in rows { copy.append(row.values(sentColumns)) }
        try connection.copy("COPY \(Self.staging) (\(sent.map(\.name).joined(separator: ", "))) FROM STDIN (FORMAT binary)", rows: copy)
        return try connection.execute("""
            INSERT INTO \(table.quoted) (\(columnList)) SELECT \(selectList) FROM \(Self.staging)
            ON CONFLICT (event_id) DO NOTHING
            """).affectedRowCount
    }

    /// Inserts `rows` through one statement with an array parameter per column.
    /// - Returns: the rows inserted (duplicates skipped).
    public func insertByArrays(_ rows: some Collection<Row>, on connection: PostgresConnection) throws(PostgresError) -> Int {
        var arrays = sent.map { PostgresArrayBuilder(elementType: $0.type) }
        for row in rows {
            for (index, value) in row.values(sentColumns).enumerated() { arrays[index].append(value) }
        }
        let casts = sent.enumerated().map { "$\($0.offset + 1)::\($0.element.type.arrayType?.name ?? "")" }
        return try connection.execute("""
            INSERT INTO \(table.quoted) (\(columnList))
            SELECT \(selectList) FROM unnest(\(casts.joined(separator: ", "))) AS batch (\(sent.map(\.name).joined(separator: ", ")))
            ON CONFLICT (event_id) DO NOTHING
            """, arrays.map(\.value)).affectedRowCount
    }

    /// DT-shaped temperature events of about 600 bytes each, numbered from `first`:
    /// deterministic, distinct event ids, a handful of devices and labels, DT's body layout.
    public static func sampleRows(count: Int, first: Int = 0) -> [Row] {
        let start: Int64 = 1_767_225_600_000_000  // 2026-01-01T00:00:00Z
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return (first..<first + count).map { number in
            let eventID = "evt" + String(number, radix: 32).leftPadded(to: 17)
            let device = "emu" + String(number % 97, radix: 32).leftPadded(to: 20)
            let micros = start + Int64(number) * 1_000_000
            let time = formatter.string(from: Date(timeIntervalSince1970: Double(micros) / 1_000_000))
            let value = Double(1800 + number % 800) / 100
            let data = #"{"temperature":{"value":\#(value),"updateTime":"\#(time)","samples":[{"value":\#(value),"sampleTime":"\#(time)"}],"isBackfilled":false}}"#
            let labels = #"{"name":"Temperature sensor \#(number % 97)","room":"Meeting room \#(number % 13)","floor":"\#(number % 5)","building":"Head office"}"#
            let body = #"{"event":{"eventId":"\#(eventID)","targetName":"projects/c14u9p094l47cdv1o3pg/devices/\#(device)","eventType":"temperature","data":\#(data),"timestamp":"\#(time)"},"labels":\#(labels),"metadata":{"deviceId":"\#(device)","projectId":"c14u9p094l47cdv1o3pg","deviceType":"temperature","productNumber":"102058"}}"#
            return Row(
                eventID: eventID, eventType: "temperature", projectID: "c14u9p094l47cdv1o3pg", deviceID: device,
                eventTimeMicroseconds: micros, receivedAtMicroseconds: micros + 250_000,
                labels: labels, data: data, body: body
            )
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
