public import FastReceiverPostgres

/// What forwarding runs with: where to, into which tables, under which replica name, and how
/// it batches, polls and backs off. Every duration states its unit and default.
public struct ForwardingSettings: Sendable {
    /// The database, as `DATABASE_URL` names it; prints with the password hidden.
    public var connectionString: PostgresConnectionString
    /// The events table and the tables named after it.
    public var tables: ForwardingTables
    /// This journal's name in `<table>_positions`: unique per replica and stable across its
    /// restarts (a StatefulSet pod's name). Default: the host name.
    public var replica: String
    /// Events per transaction at most. Default 5 000.
    public var batchRows = 5_000
    /// Bytes of events per transaction at most (one event always goes). Default 8 MiB.
    public var batchBytes = 8 << 20
    /// Milliseconds between looks for new events when there were none. Default 50.
    public var pollMilliseconds = 50
    /// The first pause after a failure, in milliseconds; it doubles with each failure in a row.
    /// Default 250.
    public var initialBackoffMilliseconds = 250
    /// The longest pause between attempts, in milliseconds. Default 30 000.
    public var maxBackoffMilliseconds = 30_000
    /// Seconds to wait for a connection. Default 10.
    public var connectTimeoutSeconds = PostgresConnection.defaultConnectTimeout

    /// The longest replica name, in characters: 200.
    public static let maxReplicaLength = 200

    public init(connectionString: PostgresConnectionString, tables: ForwardingTables, replica: String) {
        self.connectionString = connectionString
        self.tables = tables
        self.replica = replica
    }

    /// The table name's default: `dt_events`.
    public static let defaultTable = "dt_events"
}
