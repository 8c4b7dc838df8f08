import Testing

@testable import FastReceiverCLI

/// `fast-receiver serve --help`: every flag with its environment variable and default, and the
/// choices of each choice, as DESIGN.md's command-line table gives them.
@Suite struct ServeHelpTests {
    /// Every flag of `serve`, its variable, and the default its help line states.
    static let table: [(flag: String, variable: String, defaultText: String?)] = [
        ("--host", "HOST", "0.0.0.0"),
        ("--port", "PORT", "8080"),
        ("--path", "FAST_RECEIVER_PATH", "/"),
        ("--threads", "FAST_RECEIVER_THREADS", "the CPUs this process may use"),
        ("--data-dir", "DATA_DIR", "./data"),
        ("--segment-bytes", "FAST_RECEIVER_SEGMENT_BYTES", "67108864"),
        ("--durability", "FAST_RECEIVER_DURABILITY", "fsync"),
        ("--segment-age", "FAST_RECEIVER_SEGMENT_AGE", "3600"),
        ("--dedupe-capacity", "FAST_RECEIVER_DEDUPE_CAPACITY", "1000000"),
        ("--dedupe-window", "FAST_RECEIVER_DEDUPE_WINDOW", "86400"),
        ("--secret-file", "DT_SIGNATURE_SECRET_FILE", nil),
        ("--clock-skew", "FAST_RECEIVER_CLOCK_SKEW", "60"),
        ("--max-header-bytes", "FAST_RECEIVER_MAX_HEADER_BYTES", "16384"),
        ("--max-header-count", "FAST_RECEIVER_MAX_HEADER_COUNT", "100"),
        ("--max-body-bytes", "FAST_RECEIVER_MAX_BODY_BYTES", "1048576"),
        ("--header-timeout", "FAST_RECEIVER_HEADER_TIMEOUT", "10"),
        ("--body-timeout", "FAST_RECEIVER_BODY_TIMEOUT", "30"),
        ("--idle-timeout", "FAST_RECEIVER_IDLE_TIMEOUT", "60"),
        ("--max-connections", "FAST_RECEIVER_MAX_CONNECTIONS", "10000"),
        ("--max-pipelined", "FAST_RECEIVER_MAX_PIPELINED", "32"),
        ("--shutdown-grace", "FAST_RECEIVER_SHUTDOWN_GRACE", "25"),
        ("--log-format", "FAST_RECEIVER_LOG_FORMAT", "text"),
        ("--log-level", "FAST_RECEIVER_LOG_LEVEL", "info"),
        ("--database-url", "DATABASE_URL", nil),
        ("--database-table", "FAST_RECEIVER_DATABASE_TABLE", "dt_events"),
        ("--replica", "FAST_RECEIVER_REPLICA", "the host name"),
        ("--journal-retention", "FAST_RECEIVER_JOURNAL_RETENTION", "7d with forwarding; without it nothing is deleted"),
        ("--journal-max-bytes", "FAST_RECEIVER_JOURNAL_MAX_BYTES", "0, no cap but the disk"),
    ]

    /// Each option's entry in `serve --help`, by flag: its synopsis line and what follows up to the next option.
    static func entries() -> [String: String] {
        // Wide enough that no line wraps inside an entry's first sentence.
        let help = FastReceiverCommand.helpMessage(for: ServeCommand.self, columns: 1000)
        var entries: [String: String] = [:]
        for block in help.components(separatedBy: "\n  --").dropFirst() {
            let flag = "--" + (block.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "")
            entries[flag] = block
        }
        return entries
    }

    @Test("Lists every flag of serve and no other, each with its variable in brackets and its default")
    func everyFlag() throws {
        let entries = Self.entries()
        #expect(Set(entries.keys).subtracting(["--version"]) == Set(Self.table.map(\.flag)))
        for (flag, variable, defaultText) in Self.table {
            let entry = try #require(entries[flag], "\(flag) is not in serve --help")
            #expect(entry.contains("[\(variable)]"), "\(flag): \(entry)")
            if let defaultText {
                #expect(entry.contains("default: \(defaultText))"), "\(flag): \(entry)")
            } else {
                #expect(!entry.contains("default:"), "\(flag): \(entry)")
            }
        }
    }

    @Test("Lists the choices of durability, log format and log level")
    func choices() throws {
        let entries = Self.entries()
        #expect(try #require(entries["--durability"]).contains("(values: fsync, write; default: fsync)"))
        #expect(try #require(entries["--log-format"]).contains("(values: text, json; default: text)"))
        #expect(try #require(entries["--log-level"]).contains("(values: trace, debug, info, notice, warning, error, critical; default: info)"))
    }
}
