public import FastReceiverPostgres

/// The tables forwarding writes, named after `--database-table`:
///
/// - `<table>`: one row per event (DESIGN §8), keyed by `event_id`, with an index on
///   `(device_id, event_time)` for the usual per-device time-range query;
/// - `<table>_positions`: how far each replica has forwarded each of its journal segments,
///   written in the same transaction as the rows, so that a crash or a replay never inserts a
///   row twice and never skips one;
/// - `<table>_rejected`: the records PostgreSQL refused for their content, with the reason.
public struct ForwardingTables: Sendable, Equatable {
    public let events: PostgresIdentifier
    public let positions: PostgresIdentifier
    public let rejected: PostgresIdentifier
    /// The index's name, unqualified (an index lives in its table's schema).
    let deviceTimeIndex: String

    /// The longest table name that leaves room for the related names' suffixes: 51 characters.
    public static let maxNameLength = 63 - "_device_time".count

    /// - Parameter events: the events table's name.
    /// - Returns: nil when the name is too long to name the related tables (over `maxNameLength`).
    public init?(_ events: PostgresIdentifier) {
        guard events.name.count <= Self.maxNameLength, let positions = events.appending("_positions"),
              let rejected = events.appending("_rejected")
        else { return nil }
        self.events = events
        self.positions = positions
        self.rejected = rejected
        deviceTimeIndex = events.name + "_device_time"
    }

    /// The statement that creates an events table with the columns of DESIGN §8, if absent.
    ///
    /// The two keys that are indexed, `event_id` and `device_id`, compare bytewise (`COLLATE "C"`):
    /// they are identifiers, not words, and the database's own collation (`en_US.UTF-8`,
    /// `C.UTF-8`) would send every comparison in their B-trees through `strcoll`. Equality, all
    /// that exactly-once and the example queries rely on, is the same under both.
    /// - Parameter table: the table's name.
    public static func createEventsTable(_ table: PostgresIdentifier) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(table.quoted) (
            event_id text COLLATE "C" PRIMARY KEY,
            event_type text,
            project_id text,
            device_id text COLLATE "C",
            event_time timestamptz,
            received_at timestamptz NOT NULL,
            labels jsonb,
            data jsonb,
            body jsonb NOT NULL
        )
        """
    }

    /// Creates whatever of the three tables and the index does not exist yet.
    ///
    /// Each is looked up first, so that a role without the privilege to create tables can
    /// forward into tables made for it beforehand.
    /// - Throws: `PostgresError`.
    public func create(on connection: PostgresConnection) throws(PostgresError) {
        if try !exists(events.description, on: connection) {
            try connection.execute(Self.createEventsTable(events))
        }
        let index = events.schema.map { "\($0).\(deviceTimeIndex)" } ?? deviceTimeIndex
        if try !exists(index, on: connection) {
            try connection.execute("CREATE INDEX IF NOT EXISTS \"\(deviceTimeIndex)\" ON \(events.quoted) (device_id, event_time)")
        }
        if try !exists(positions.description, on: connection) {
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS \(positions.quoted) (
                    replica text NOT NULL,
                    segment text NOT NULL,
                    worker integer NOT NULL,
                    segment_offset bigint NOT NULL,
                    complete boolean NOT NULL,
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (replica, segment)
                )
                """)
        }
        if try !exists(rejected.description, on: connection) {
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS \(rejected.quoted) (
                    replica text NOT NULL,
                    segment text NOT NULL,
                    segment_offset bigint NOT NULL,
                    event_id text,
                    received_at timestamptz,
                    sqlstate text,
                    reason text NOT NULL,
                    body bytea NOT NULL,
                    rejected_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (replica, segment, segment_offset)
                )
                """)
        }
    }

    private func exists(_ name: String, on connection: PostgresConnection) throws(PostgresError) -> Bool {
        try connection.execute("SELECT to_regclass($1) IS NOT NULL", [.text(name)]).bool(row: 0, column: 0) ?? false
    }

    /// One replica's forwarded position in one segment, as `<table>_positions` holds it.
    public struct Position: Sendable, Equatable {
        public var replica: String
        /// The segment's file name without `.gz`.
        public var segment: String
        public var worker: Int
        /// Bytes of the uncompressed segment whose records are all in the table.
        public var offset: Int
        /// The segment is sealed and every record of it is in the table.
        public var isComplete: Bool
        /// When the position last moved, RFC 3339 as PostgreSQL prints it in UTC.
        public var updatedAt: String
    }

    /// The positions of `replica`, or of every replica when nil, by replica and segment.
    /// - Throws: `PostgresError`, e.g. `.statementFailed` when the table does not exist.
    public func positions(of replica: String?, on connection: PostgresConnection) throws(PostgresError) -> [Position] {
        let result = try connection.execute("""
            SELECT replica, segment, worker, segment_offset, complete,
                   to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
            FROM \(positions.quoted) WHERE $1::text IS NULL OR replica = $1 ORDER BY replica, segment
            """, [replica.map(PostgresValue.text) ?? .null])
        var found: [Position] = []
        for row in 0..<result.rowCount {
            found.append(Position(
                replica: result.text(row: row, column: 0) ?? "", segment: result.text(row: row, column: 1) ?? "",
                worker: Int(try result.int64(row: row, column: 2) ?? 0), offset: Int(try result.int64(row: row, column: 3) ?? 0),
                isComplete: try result.bool(row: row, column: 4) ?? false, updatedAt: result.text(row: row, column: 5) ?? ""))
        }
        return found
    }
}
