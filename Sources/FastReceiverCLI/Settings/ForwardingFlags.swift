internal import ArgumentParser
internal import FastReceiver
internal import FastReceiverForwarding
internal import FastReceiverPostgres
internal import FastReceiverStorage
internal import Foundation
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

/// How long the journal keeps what it stored, and how large it may grow (DESIGN §9).
struct RetentionSettings: ParsableArguments {
    @Option(
        "--journal-retention", "FAST_RECEIVER_JOURNAL_RETENTION", default: nil,
        defaultText: "7d with forwarding; without it nothing is deleted",
        rule: SettingRule(requirement: "be between 1m and 3650d") { (period: Period) in (60...(3650 * 86_400)).contains(period.seconds) },
        help: "Delete sealed journal segments last written longer ago than this (with forwarding, only once they are in PostgreSQL).",
        valueName: "duration")
    var journalRetention: Setting<Period?>

    @Option(
        "--journal-max-bytes", "FAST_RECEIVER_JOURNAL_MAX_BYTES", default: 0, defaultText: "0, no cap but the disk",
        rule: .range(0...(Int64(1) << 60)),
        help: "Bytes the journal may hold; at the cap events are answered 503 until forwarded segments are deleted.",
        valueName: "bytes")
    var journalMaxBytes: Setting<Int64>

    /// The retention policy: an explicit retention, else 7 days when `isForwarding`, else none.
    func policy(isForwarding: Bool, environment: [String: String]) throws(ConfigurationError) -> JournalRetention.Policy {
        let explicit = try journalRetention.value(in: environment)
        let age = explicit.map { $0.seconds * 1000 } ?? (isForwarding ? JournalRetention.Policy.defaultForwardedAgeMilliseconds : nil)
        return JournalRetention.Policy(maxAgeMilliseconds: age, maxBytes: try journalMaxBytes.value(in: environment))
    }
}

/// A span of time written with its unit: `7d`, `36h`, `90m`, `3600s` (a bare number is seconds).
struct Period: SettingValue, Equatable {
    let seconds: Int

    init(seconds: Int) {
        self.seconds = seconds
    }

    init?(settingText text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let unit = trimmed.last.flatMap { units[$0] }
        guard let number = Int(unit == nil ? trimmed : String(trimmed.dropLast())), number >= 0 else { return nil }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: unit ?? 1)
        guard !overflow else { return nil }
        self.seconds = seconds
    }

    var settingText: String {
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60)] where seconds % size == 0 && seconds > 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }

    static var requirement: String { "be a duration such as 7d, 12h, 30m or 3600s" }
}

// MARK: end of forwarding to PostgreSQL
