internal import ArgumentParser
internal import FastReceiver
internal import FastReceiverStorage
internal import FastReceiverSystem
internal import Logging

/// What a receiver runs with when nothing else is given: `--help` shows these defaults.
let defaults = ServerConfiguration()

/// Every setting of `fast-receiver serve`, and the configuration they make.
///
/// Each setting is one declaration: its flag, environment variable, default, accepted values and
/// help (see `Option.init(_:_:default:defaultText:rule:isSecret:help:discussion:valueName:)`).
/// Adding one is that declaration, here or in the group it belongs to, plus the line in
/// `configuration(environment:)` that puts its value where the receiver reads it. `serve`
/// checks every declared setting before it starts (`checkSettings(in:)`); nothing else lists them.
struct ServeOptions: ParsableArguments {
    @OptionGroup var address: ListenAddress

    @Option(
        "--path", "FAST_RECEIVER_PATH", default: defaults.eventPath,
        rule: SettingRule(requirement: "start with / and hold no spaces, ? or #") { path in
            path.hasPrefix("/") && !path.contains { $0 == "?" || $0 == " " || $0 == "#" }
        },
        help: "Path DT posts events to.", valueName: "path")
    var path: Setting<String>

    @Option(
        "--threads", "FAST_RECEIVER_THREADS", default: ProcessResources.availableCPUs, defaultText: "the CPUs this process may use",
        rule: .range(1...1024), help: "Worker threads.", valueName: "n")
    var threads: Setting<Int>

    @OptionGroup var journal: JournalLocation

    @Option(
        "--durability", "FAST_RECEIVER_DURABILITY", default: defaults.journal.durability,
        help: "When a 200 is sent: after fsync (survives power loss) or after write (survives a crash of this process).",
        valueName: "mode")
    var durability: Setting<Durability>

    @Option(
        "--segment-age", "FAST_RECEIVER_SEGMENT_AGE", default: Seconds(milliseconds: defaults.journal.segmentMaxAgeMilliseconds),
        rule: .range(1...604_800), help: "Rotate a journal segment after this many seconds.", valueName: "seconds")
    var segmentAge: Setting<Seconds>

    @Option(
        "--dedupe-capacity", "FAST_RECEIVER_DEDUPE_CAPACITY", default: defaults.dedupeCapacity, rule: .range(1...100_000_000),
        help: "Event ids remembered for dedupe.", valueName: "n")
    var dedupeCapacity: Setting<Int>

    @Option(
        "--dedupe-window", "FAST_RECEIVER_DEDUPE_WINDOW", default: defaults.dedupeWindowSeconds, rule: .range(1...(30 * 86_400)),
        help: "Seconds an event id is remembered for dedupe.", valueName: "seconds")
    var dedupeWindow: Setting<Int64>

    @OptionGroup var signatures: SignatureSettings

    @Option(
        "--max-header-bytes", "FAST_RECEIVER_MAX_HEADER_BYTES", default: defaults.server.limits.maxHeaderBytes, rule: .range(1024...(1 << 20)),
        help: "Largest request line plus headers, in bytes.", valueName: "bytes")
    var maxHeaderBytes: Setting<Int>

    @Option(
        "--max-header-count", "FAST_RECEIVER_MAX_HEADER_COUNT", default: defaults.server.limits.maxHeaderCount, rule: .range(8...10_000),
        help: "Most header fields per request.", valueName: "n")
    var maxHeaderCount: Setting<Int>

    @Option(
        "--max-body-bytes", "FAST_RECEIVER_MAX_BODY_BYTES", default: defaults.server.limits.maxBodyBytes,
        rule: .range(1024...JournalRecord.maxBodyBytes),
        help: "Largest body, in bytes, both as received (without its chunked framing) and once gzip or deflate is undone.",
        discussion: """
            A chunked body is accepted however small its chunks: its framing (size lines, extensions, line ends) may take up \
            to --max-header-bytes plus 8 bytes per byte of this limit.
            """,
        valueName: "bytes")
    var maxBodyBytes: Setting<Int>

    @Option(
        "--header-timeout", "FAST_RECEIVER_HEADER_TIMEOUT", default: Seconds(milliseconds: defaults.server.headerTimeoutMilliseconds),
        rule: .range(0.1...3600), help: "Seconds from a request's first byte to the end of its headers.", valueName: "seconds")
    var headerTimeout: Setting<Seconds>

    @Option(
        "--body-timeout", "FAST_RECEIVER_BODY_TIMEOUT", default: Seconds(milliseconds: defaults.server.bodyTimeoutMilliseconds),
        rule: .range(0.1...3600), help: "Seconds from the end of the headers to the end of the body.", valueName: "seconds")
    var bodyTimeout: Setting<Seconds>

    @Option(
        "--idle-timeout", "FAST_RECEIVER_IDLE_TIMEOUT", default: Seconds(milliseconds: defaults.server.idleTimeoutMilliseconds),
        rule: .range(0.1...86_400), help: "Seconds an idle keep-alive connection stays open.", valueName: "seconds")
    var idleTimeout: Setting<Seconds>

    @Option(
        "--max-connections", "FAST_RECEIVER_MAX_CONNECTIONS", default: defaults.server.maxConnections, rule: .range(1...1_000_000),
        help: "Open connections at most; more wait in the listen backlog.", valueName: "n")
    var maxConnections: Setting<Int>

    @Option(
        "--max-pipelined", "FAST_RECEIVER_MAX_PIPELINED", default: defaults.server.maxPipelinedRequests, rule: .range(1...1024),
        help: "Requests read on one connection before reading pauses for answers.", valueName: "n")
    var maxPipelined: Setting<Int>

    @Option(
        "--shutdown-grace", "FAST_RECEIVER_SHUTDOWN_GRACE", default: Seconds(milliseconds: defaults.server.shutdownGraceMilliseconds),
        rule: .range(0...3600), help: "Seconds a graceful shutdown may take.", valueName: "seconds")
    var shutdownGrace: Setting<Seconds>

    @Option("--log-format", "FAST_RECEIVER_LOG_FORMAT", default: defaults.logFormat, help: "How log lines are written.", valueName: "format")
    var logFormat: Setting<LogFormat>

    @Option("--log-level", "FAST_RECEIVER_LOG_LEVEL", default: defaults.logLevel, help: "Lowest level logged.", valueName: "level")
    var logLevel: Setting<Logger.Level>

    @OptionGroup(title: "Forwarding to PostgreSQL") var forwarding: ForwardingFlags

    @OptionGroup(title: "Journal retention") var retention: RetentionSettings

    /// The receiver's configuration: each setting from its flag, else from `environment`, else its
    /// default; then the secrets, from the secret file or `environment`.
    /// - Throws: `ConfigurationError` naming the first setting that is bad, or saying why there
    ///   is no usable secret.
    func configuration(environment: [String: String]) throws(ConfigurationError) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.server.host = try address.host.value(in: environment)
        configuration.server.port = try address.port.value(in: environment)
        configuration.eventPath = try path.value(in: environment)
        configuration.server.workers = try threads.value(in: environment)
        configuration.dataDirectory = try journal.dataDirectory.value(in: environment)
        configuration.journal.segmentMaxBytes = try journal.segmentBytes.value(in: environment)
        configuration.journal.durability = try durability.value(in: environment)
        configuration.journal.segmentMaxAgeMilliseconds = try segmentAge.value(in: environment).milliseconds
        configuration.dedupeCapacity = try dedupeCapacity.value(in: environment)
        configuration.dedupeWindowSeconds = try dedupeWindow.value(in: environment)
        configuration.clockSkew = try signatures.clockSkew.value(in: environment)
        configuration.server.limits.maxHeaderBytes = try maxHeaderBytes.value(in: environment)
        configuration.server.limits.maxHeaderCount = try maxHeaderCount.value(in: environment)
        configuration.server.limits.maxBodyBytes = try maxBodyBytes.value(in: environment)
        configuration.server.headerTimeoutMilliseconds = try headerTimeout.value(in: environment).milliseconds
        configuration.server.bodyTimeoutMilliseconds = try bodyTimeout.value(in: environment).milliseconds
        configuration.server.idleTimeoutMilliseconds = try idleTimeout.value(in: environment).milliseconds
        configuration.server.maxConnections = try maxConnections.value(in: environment)
        configuration.server.maxPipelinedRequests = try maxPipelined.value(in: environment)
        configuration.server.shutdownGraceMilliseconds = try shutdownGrace.value(in: environment).milliseconds
        configuration.logFormat = try logFormat.value(in: environment)
        configuration.logLevel = try logLevel.value(in: environment)
        configuration.forwarding = try forwarding.settings(environment: environment)
        configuration.retention = try retention.policy(isForwarding: configuration.forwarding != nil, environment: environment)
        (configuration.secretSource, configuration.secrets) = try signatures.secrets(environment: environment)
        return configuration
    }
}
