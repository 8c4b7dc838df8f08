public import FastReceiverForwarding
internal import FastReceiverPostgres
internal import Glibc

/// The forwarding settings as given on the command line (`serve`, `forward`, `journal stats`):
/// every field optional. `resolve` fills the gaps from the environment (flags win), then from
/// the defaults, and checks them.
public struct ForwardingOptions: Sendable {
    /// `--database-url`: a libpq connection URI or `key=value` string.
    public var databaseURL: String?
    /// `--database-table`.
    public var databaseTable: String?
    /// `--replica`.
    public var replica: String?

    public init() {}

    /// The environment variable each setting also reads.
    public enum Variable {
        public static let databaseURL = "DATABASE_URL"
        public static let databaseTable = "FAST_RECEIVER_DATABASE_TABLE"
        public static let replica = "FAST_RECEIVER_REPLICA"
    }

    /// The forwarding settings, or nil when no database is named (forwarding off).
    /// - Throws: `ConfigurationError` for a connection string libpq cannot parse (its message
    ///   never shows the password), a table name that is not one, or an unusable replica name.
    public func resolve(environment: [String: String]) throws(ConfigurationError) -> ForwardingSettings? {
        func value(_ flag: String?, _ variable: String) -> String? {
            if let flag { return flag }
            guard let value = environment[variable], !value.isEmpty else { return nil }
            return value
        }
        guard let url = value(databaseURL, Variable.databaseURL) else { return nil }
        let connectionString = PostgresConnectionString(url)
        if let problem = connectionString.parseFailure {
            throw ConfigurationError("--database-url is not a connection string libpq can use: \(problem).")
        }
        let tableText = value(databaseTable, Variable.databaseTable) ?? ForwardingSettings.defaultTable
        guard let identifier = PostgresIdentifier(tableText) else {
            throw ConfigurationError("--database-table must be a table name: \(PostgresIdentifier.rule); got \(tableText).")
        }
        guard let tables = ForwardingTables(identifier) else {
            throw ConfigurationError("--database-table must be at most \(ForwardingTables.maxNameLength) characters, to leave room for its related tables' names; got \(tableText).")
        }
        let replicaName = value(replica, Variable.replica) ?? Self.hostName
        guard !replicaName.isEmpty, replicaName.count <= ForwardingSettings.maxReplicaLength,
              !replicaName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw ConfigurationError("--replica must be 1 to \(ForwardingSettings.maxReplicaLength) printable characters; got \(replicaName.count) characters.")
        }
        return ForwardingSettings(connectionString: connectionString, tables: tables, replica: replicaName)
    }

    /// This machine's host name: a Kubernetes pod's name, stable for a StatefulSet's pods.
    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "fast-receiver" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "fast-receiver" : name
    }
}
