import FastReceiver
import FastReceiverPostgres
import FastReceiverStorage
import FastReceiverSystem
import FastReceiverTestSupport
import FastReceiverVerification
import Foundation
import Testing

@testable import FastReceiverCLI

/// `serve`'s settings, parsed as the command parses them and read against an environment
/// dictionary: flags, variables, which wins, defaults, refusals and `--help`.
@Suite struct ServeOptionsTests {
    /// An environment with nothing but a secret.
    static let secretOnly = ["DT_SIGNATURE_SECRET": "serve-options-secret"]

    /// One setting: its flag, its variable, a value other than its default, and whether a
    /// configuration holds that value.
    struct Case: Sendable {
        let flag: String
        let variable: String
        let text: String
        let isApplied: @Sendable (ServerConfiguration) -> Bool
    }

    /// Every setting with a value the configuration shows; the secret file has a test of its own.
    static let cases: [Case] = [
        Case(flag: "--host", variable: "HOST", text: "127.0.0.2") { $0.server.host == "127.0.0.2" },
        Case(flag: "--port", variable: "PORT", text: "9001") { $0.server.port == 9001 },
        Case(flag: "--path", variable: "FAST_RECEIVER_PATH", text: "/dt/events") { $0.eventPath == "/dt/events" },
        Case(flag: "--threads", variable: "FAST_RECEIVER_THREADS", text: "3") { $0.server.workers == 3 },
        Case(flag: "--data-dir", variable: "DATA_DIR", text: "/var/lib/receiver") { $0.dataDirectory == "/var/lib/receiver" },
        Case(flag: "--durability", variable: "FAST_RECEIVER_DURABILITY", text: "write") { $0.journal.durability == .write },
        Case(flag: "--clock-skew", variable: "FAST_RECEIVER_CLOCK_SKEW", text: "120") { $0.clockSkew == 120 },
        Case(flag: "--max-header-bytes", variable: "FAST_RECEIVER_MAX_HEADER_BYTES", text: "2048") { $0.server.limits.maxHeaderBytes == 2048 },
        Case(flag: "--max-header-count", variable: "FAST_RECEIVER_MAX_HEADER_COUNT", text: "50") { $0.server.limits.maxHeaderCount == 50 },
        Case(flag: "--max-body-bytes", variable: "FAST_RECEIVER_MAX_BODY_BYTES", text: "2097152") { $0.server.limits.maxBodyBytes == 2_097_152 },
        Case(flag: "--header-timeout", variable: "FAST_RECEIVER_HEADER_TIMEOUT", text: "2.5") { $0.server.headerTimeoutMilliseconds == 2500 },
        Case(flag: "--body-timeout", variable: "FAST_RECEIVER_BODY_TIMEOUT", text: "7") { $0.server.bodyTimeoutMilliseconds == 7000 },
        Case(flag: "--idle-timeout", variable: "FAST_RECEIVER_IDLE_TIMEOUT", text: "0.25") { $0.server.idleTimeoutMilliseconds == 250 },
        Case(flag: "--max-connections", variable: "FAST_RECEIVER_MAX_CONNECTIONS", text: "500") { $0.server.maxConnections == 500 },
        Case(flag: "--max-pipelined", variable: "FAST_RECEIVER_MAX_PIPELINED", text: "4") { $0.server.maxPipelinedRequests == 4 },
        Case(flag: "--shutdown-grace", variable: "FAST_RECEIVER_SHUTDOWN_GRACE", text: "0") { $0.server.shutdownGraceMilliseconds == 0 },
        Case(flag: "--segment-bytes", variable: "FAST_RECEIVER_SEGMENT_BYTES", text: "1048576") { $0.journal.segmentMaxBytes == 1 << 20 },
        Case(flag: "--segment-age", variable: "FAST_RECEIVER_SEGMENT_AGE", text: "90") { $0.journal.segmentMaxAgeMilliseconds == 90_000 },
        Case(flag: "--dedupe-capacity", variable: "FAST_RECEIVER_DEDUPE_CAPACITY", text: "1000") { $0.dedupeCapacity == 1000 },
        Case(flag: "--dedupe-window", variable: "FAST_RECEIVER_DEDUPE_WINDOW", text: "600") { $0.dedupeWindowSeconds == 600 },
        Case(flag: "--log-format", variable: "FAST_RECEIVER_LOG_FORMAT", text: "json") { $0.logFormat == .json },
        Case(flag: "--log-level", variable: "FAST_RECEIVER_LOG_LEVEL", text: "debug") { $0.logLevel == .debug },
        Case(flag: "--database-url", variable: "DATABASE_URL", text: "postgres://fr:pw@db.example.com:5433/sensors?sslmode=require") {
            $0.forwarding?.connectionString.description == "host=db.example.com port=5433 dbname=sensors user=fr password=*** sslmode=require"
        },
        Case(flag: "--database-table", variable: "FAST_RECEIVER_DATABASE_TABLE", text: "ingest.Events") {
            $0.forwarding?.tables.events.description == "ingest.events" && $0.forwarding?.tables.rejected.description == "ingest.events_rejected"
        },
        Case(flag: "--replica", variable: "FAST_RECEIVER_REPLICA", text: "fast-receiver-2") { $0.forwarding?.replica == "fast-receiver-2" },
        Case(flag: "--journal-retention", variable: "FAST_RECEIVER_JOURNAL_RETENTION", text: "36h") {
            $0.retention.maxAgeMilliseconds == 36 * 3_600_000
        },
        Case(flag: "--journal-max-bytes", variable: "FAST_RECEIVER_JOURNAL_MAX_BYTES", text: "1073741824") { $0.retention.maxBytes == 1 << 30 },
    ]

    static func configuration(_ arguments: [String], environment: [String: String] = secretOnly) throws -> ServerConfiguration {
        try ServeOptions.parse(arguments).configuration(environment: environment)
    }

    @Test("With nothing given, serve runs with the defaults DESIGN.md gives, one worker per CPU it may use")
    func defaults() throws {
        let configuration = try Self.configuration([])
        #expect(configuration.server.host == "0.0.0.0")
        #expect(configuration.server.port == 8080)
        #expect(configuration.eventPath == "/")
        #expect(configuration.server.workers == ProcessResources.availableCPUs)
        #expect(configuration.dataDirectory == "./data")
        #expect(configuration.journal.durability == .fsync)
        #expect(configuration.secretSource.secretFile == nil)
        #expect(configuration.secrets.count == 1)
        #expect(configuration.forwarding == nil)
        #expect(configuration.server.limits.maxBodyBytes == 1 << 20)
        #expect(configuration.server.headerTimeoutMilliseconds == 10_000)
        #expect(configuration.logFormat == .text)
        #expect(configuration.logLevel == .info)
        for setting in Self.cases {
            #expect(!setting.isApplied(configuration), "\(setting.flag) \(setting.text) is its default, so the case shows nothing")
        }
    }

    @Test("The retention is 7 days with forwarding and none without, unless one is given; durations take s, m, h or d")
    func retentionDefaults() throws {
        #expect(try Self.configuration([]).retention == .init())
        let forwarding = ["--database-url", "postgres://fr@db.example.com/sensors"]
        #expect(try Self.configuration(forwarding).retention.maxAgeMilliseconds == 7 * 86_400_000)
        #expect(try Self.configuration(forwarding + ["--journal-retention", "90m"]).retention.maxAgeMilliseconds == 90 * 60_000)
        #expect(try Self.configuration(["--journal-retention", "3600"]).retention.maxAgeMilliseconds == 3_600_000)
        #expect(try Self.configuration(["--journal-retention", "2d"]).retention.maxAgeMilliseconds == 2 * 86_400_000)
    }

    @Test("Every setting is read from its flag")
    func fromFlags() throws {
        let configuration = try Self.configuration(Self.cases.flatMap { [$0.flag, $0.text] })
        for setting in Self.cases {
            #expect(setting.isApplied(configuration), "\(setting.flag) \(setting.text)")
        }
    }

    @Test("Every setting is read from its environment variable")
    func fromEnvironment() throws {
        var environment = Self.secretOnly
        for setting in Self.cases { environment[setting.variable] = setting.text }
        let configuration = try Self.configuration([], environment: environment)
        for setting in Self.cases {
            #expect(setting.isApplied(configuration), "\(setting.variable)=\(setting.text)")
        }
    }

    @Test("A flag wins over its variable, which is then not read at all")
    func flagsWin() throws {
        #expect(try Self.configuration(["--port", "9001"], environment: Self.secretOnly.merging(["PORT": "7000"]) { $1 }).server.port == 9001)
        // Variables no setting could read: the flags' values are used, and nothing is refused.
        var environment = Self.secretOnly
        for setting in Self.cases { environment[setting.variable] = "?not a value" }
        let configuration = try Self.configuration(Self.cases.flatMap { [$0.flag, $0.text] }, environment: environment)
        for setting in Self.cases {
            #expect(setting.isApplied(configuration), "\(setting.flag) \(setting.text) over \(setting.variable)")
        }
    }

    @Test("An empty variable counts as unset; spaces around a number are ignored")
    func emptyAndSpaced() throws {
        let configuration = try Self.configuration([], environment: Self.secretOnly.merging(["PORT": "", "FAST_RECEIVER_MAX_PIPELINED": " 4 "]) { $1 })
        #expect(configuration.server.port == 8080)
        #expect(configuration.server.maxPipelinedRequests == 4)
    }

    @Test(
        "A bad environment value is refused with one sentence naming the variable and the flag",
        arguments: [
            ("FAST_RECEIVER_MAX_BODY_BYTES", "abc", "FAST_RECEIVER_MAX_BODY_BYTES must be a whole number for --max-body-bytes; got abc."),
            ("FAST_RECEIVER_THREADS", "many", "FAST_RECEIVER_THREADS must be a whole number for --threads; got many."),
            ("FAST_RECEIVER_HEADER_TIMEOUT", "soon", "FAST_RECEIVER_HEADER_TIMEOUT must be a number of seconds for --header-timeout; got soon."),
            ("FAST_RECEIVER_IDLE_TIMEOUT", "inf", "FAST_RECEIVER_IDLE_TIMEOUT must be a number of seconds for --idle-timeout; got inf."),
            ("FAST_RECEIVER_DURABILITY", "fast", "FAST_RECEIVER_DURABILITY must be one of fsync, write for --durability; got fast."),
            ("FAST_RECEIVER_LOG_FORMAT", "xml", "FAST_RECEIVER_LOG_FORMAT must be one of text, json for --log-format; got xml."),
            (
                "FAST_RECEIVER_LOG_LEVEL", "loud",
                "FAST_RECEIVER_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical for --log-level; got loud."
            ),
            ("FAST_RECEIVER_PATH", "events", "FAST_RECEIVER_PATH must start with / and hold no spaces, ? or # for --path; got events."),
            ("PORT", "70000", "PORT must be between 0 and 65535 for --port; got 70000."),
            ("FAST_RECEIVER_SEGMENT_AGE", "0.5", "FAST_RECEIVER_SEGMENT_AGE must be between 1 and 604800 seconds for --segment-age; got 0.5."),
            // A connection string may hold a password: the sentence never repeats it.
            (
                "DATABASE_URL", "postgres://fr:s3cret@[db",
                "DATABASE_URL must be a connection string libpq can use: a postgres:// URI or key=value pairs for --database-url."
            ),
            (
                "FAST_RECEIVER_DATABASE_TABLE", "dt-events",
                "FAST_RECEIVER_DATABASE_TABLE must be a table name of at most 51 characters (\(PostgresIdentifier.rule)) for --database-table; got dt-events."
            ),
            ("FAST_RECEIVER_REPLICA", "a\u{7}b", "FAST_RECEIVER_REPLICA must be 1 to 200 printable characters for --replica; got a\u{7}b."),
            (
                "FAST_RECEIVER_JOURNAL_RETENTION", "7w",
                "FAST_RECEIVER_JOURNAL_RETENTION must be a duration such as 7d, 12h, 30m or 3600s for --journal-retention; got 7w."
            ),
            ("FAST_RECEIVER_JOURNAL_RETENTION", "30s", "FAST_RECEIVER_JOURNAL_RETENTION must be between 1m and 3650d for --journal-retention; got 30s."),
            ("FAST_RECEIVER_JOURNAL_MAX_BYTES", "-1", "FAST_RECEIVER_JOURNAL_MAX_BYTES must be between 0 and 1152921504606846976 for --journal-max-bytes; got -1."),
        ]
    )
    func badVariable(variable: String, text: String, sentence: String) throws {
        let options = try ServeOptions.parse([])
        let environment = Self.secretOnly.merging([variable: text]) { $1 }
        #expect(throws: ConfigurationError(sentence)) { try options.configuration(environment: environment) }
        #expect(throws: ConfigurationError(sentence)) { try options.checkSettings(in: environment) }
    }

    @Test(
        "A bad flag value is refused with one sentence naming the flag and its range",
        arguments: [
            (["--port", "70000"], "--port must be between 0 and 65535; got 70000."),
            (["--port", "abc"], "--port must be a whole number; got abc."),
            (["--threads", "0"], "--threads must be between 1 and 1024; got 0."),
            (["--max-body-bytes", "12"], "--max-body-bytes must be between 1024 and \(JournalRecord.maxBodyBytes); got 12."),
            (["--max-header-count", "7"], "--max-header-count must be between 8 and 10000; got 7."),
            (["--header-timeout", "0.01"], "--header-timeout must be between 0.1 and 3600 seconds; got 0.01."),
            (["--shutdown-grace", "3600.5"], "--shutdown-grace must be between 0 and 3600 seconds; got 3600.5."),
            (["--segment-bytes", "12"], "--segment-bytes must be between 65536 and 4294967296; got 12."),
            (["--clock-skew", "3601"], "--clock-skew must be between 0 and 3600; got 3601."),
            (["--dedupe-window", "0"], "--dedupe-window must be between 1 and 2592000; got 0."),
            (["--durability", "fast"], "--durability must be one of fsync, write; got fast."),
            (["--path", "/a b"], "--path must start with / and hold no spaces, ? or #; got /a b."),
        ]
    )
    func badFlag(arguments: [String], sentence: String) throws {
        let options = try ServeOptions.parse(arguments)
        #expect(throws: ConfigurationError(sentence)) { try options.configuration(environment: Self.secretOnly) }
        #expect(throws: ConfigurationError(sentence)) { try options.checkSettings(in: Self.secretOnly) }
    }

    @Test("--max-body-bytes takes the largest body the journal can store, and no larger")
    func bodyLimitCap() throws {
        let largest = try Self.configuration(["--max-body-bytes", "\(JournalRecord.maxBodyBytes)"])
        #expect(largest.server.limits.maxBodyBytes == JournalRecord.maxBodyBytes)
        #expect(throws: ConfigurationError.self) { try Self.configuration(["--max-body-bytes", "\(JournalRecord.maxBodyBytes + 1)"]) }
    }

    @Test("The secrets come from the file --secret-file or DT_SIGNATURE_SECRET_FILE names, else from DT_SIGNATURE_SECRET")
    func secretFile() throws {
        let file = NSTemporaryDirectory() + "fast-receiver-secrets-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "current-secret\nprevious-secret\n".write(toFile: file, atomically: true, encoding: .utf8)
        let byFlag = try Self.configuration(["--secret-file", file], environment: [:])
        #expect(byFlag.secretSource.secretFile == file)
        #expect(byFlag.secrets.count == 2)
        let byVariable = try Self.configuration([], environment: ["DT_SIGNATURE_SECRET_FILE": file])
        #expect(byVariable.secretSource.secretFile == file)
        #expect(byVariable.secrets.count == 2)
        #expect(throws: ConfigurationError(SecretSourceError.missingFromEnvironment.description)) { try Self.configuration([], environment: [:]) }
        #expect(throws: ConfigurationError.self) { try Self.configuration(["--secret-file", file + "-absent"], environment: Self.secretOnly) }
    }

    /// Every setting that can be refused; host, data directory and secret file take any text.
    static let refusable = [
        "PORT", "FAST_RECEIVER_PATH", "FAST_RECEIVER_THREADS", "FAST_RECEIVER_DURABILITY", "FAST_RECEIVER_SEGMENT_BYTES",
        "FAST_RECEIVER_SEGMENT_AGE", "FAST_RECEIVER_DEDUPE_CAPACITY", "FAST_RECEIVER_DEDUPE_WINDOW", "FAST_RECEIVER_CLOCK_SKEW",
        "FAST_RECEIVER_MAX_HEADER_BYTES", "FAST_RECEIVER_MAX_HEADER_COUNT", "FAST_RECEIVER_MAX_BODY_BYTES",
        "FAST_RECEIVER_HEADER_TIMEOUT", "FAST_RECEIVER_BODY_TIMEOUT", "FAST_RECEIVER_IDLE_TIMEOUT", "FAST_RECEIVER_MAX_CONNECTIONS",
        "FAST_RECEIVER_MAX_PIPELINED", "FAST_RECEIVER_SHUTDOWN_GRACE", "FAST_RECEIVER_LOG_FORMAT", "FAST_RECEIVER_LOG_LEVEL",
        "DATABASE_URL", "FAST_RECEIVER_DATABASE_TABLE",
    ]

    @Test("validate() checks every declared setting, in option groups too", arguments: refusable)
    func everySettingChecked(variable: String) throws {
        let options = try ServeOptions.parse([])
        let environment = [variable: "?not a value"]
        #expect(throws: ConfigurationError.self) { try options.checkSettings(in: environment) }
        do {
            try options.checkSettings(in: environment)
        } catch {
            #expect(error.description.hasPrefix("\(variable) must "))
        }
        #expect(throws: Never.self) { try options.checkSettings(in: [:]) }
    }
}
