internal import ArgumentParser
internal import FastReceiver
internal import FastReceiverForwarding
internal import FastReceiverPostgres
internal import Glibc

// MARK: forwarding to PostgreSQL

/// Where stored events are forwarded: `serve`, `forward` and `journal stats` read the database,
/// the table and the replica's name the same way.
struct ForwardingFlags: ParsableArguments {
    @Option(
        "--database-url", "DATABASE_URL", default: nil,
        rule: SettingRule(requirement: "be a connection string libpq can use: a postgres:// URI or key=value pairs") { (text: String) in
            PostgresConnectionString(text).parseFailure == nil
        },
        isSecret: true,
        help: "PostgreSQL to forward stored events to, e.g. postgres://user:password@host:5432/db?sslmode=require; unset, nothing is forwarded.",
        valueName: "url")
    var databaseURL: Setting<String?>

    @Option(
        "--database-table", "FAST_RECEIVER_DATABASE_TABLE", default: ForwardingSettings.defaultTable,
        rule: SettingRule(requirement: "be a table name of at most \(ForwardingTables.maxNameLength) characters (\(PostgresIdentifier.rule))") {
            PostgresIdentifier($0).flatMap(ForwardingTables.init) != nil
        },
        help: "The events table, created if missing, with <table>_positions and <table>_rejected beside it.", valueName: "name")
    var databaseTable: Setting<String>

    @Option(
        "--replica", "FAST_RECEIVER_REPLICA", default: ForwardingFlags.hostName, defaultText: "the host name",
        rule: SettingRule(requirement: "be 1 to \(ForwardingSettings.maxReplicaLength) printable characters") { name in
            !name.isEmpty && name.count <= ForwardingSettings.maxReplicaLength
                && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
        },
        help: "This journal's name in <table>_positions: unique per replica and the same across its restarts (a StatefulSet pod's name is).",
        valueName: "name")
    var replica: Setting<String>

    /// The forwarding settings, or nil when no database is named (forwarding off).
    /// - Throws: `ConfigurationError` naming the first setting that is bad (never repeating the
    ///   connection string).
    func settings(environment: [String: String]) throws(ConfigurationError) -> ForwardingSettings? {
        let table = try databaseTable.value(in: environment)
        let name = try replica.value(in: environment)
        guard let url = try databaseURL.value(in: environment) else { return nil }
        guard let tables = PostgresIdentifier(table).flatMap(ForwardingTables.init) else {
            throw ConfigurationError("--database-table is not a table name: \(table).")
        }
        return ForwardingSettings(connectionString: PostgresConnectionString(url), tables: tables, replica: name)
    }

    /// This machine's host name: a Kubernetes pod's name, stable for a StatefulSet's pods.
    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "fast-receiver" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "fast-receiver" : name
    }()
}

// MARK: end of forwarding to PostgreSQL
