internal import FastReceiverStorage
internal import FastReceiverSystem
internal import FastReceiverVerification
public import Foundation

/// `serve`'s settings as given on the command line: every field optional. `resolve` fills the
/// gaps from the environment (flags win), then from the defaults, and checks every range.
public struct ServeOptions: Sendable {
    public var host: String?
    public var port: Int?
    public var path: String?
    public var threads: Int?
    public var dataDirectory: String?
    public var durability: String?
    public var secretFile: String?
    public var clockSkew: Int?
    public var maxHeaderBytes: Int?
    public var maxHeaderCount: Int?
    public var maxBodyBytes: Int?
    public var headerTimeout: Double?
    public var bodyTimeout: Double?
    public var idleTimeout: Double?
    public var maxConnections: Int?
    public var maxPipelined: Int?
    public var shutdownGrace: Double?
    public var segmentBytes: Int?
    public var segmentAge: Double?
    public var dedupeCapacity: Int?
    public var dedupeWindow: Int?
    public var logFormat: String?
    public var logLevel: String?

    // MARK: forwarding to PostgreSQL
    /// `--database-url`, `--database-table`, `--replica`; forwarding is off without a database.
    public var forwarding = ForwardingOptions()
    // MARK: end of forwarding

    public init() {}

    /// The environment variable each setting also reads.
    public enum Variable {
        public static let host = "HOST"
        public static let port = "PORT"
        public static let path = "FAST_RECEIVER_PATH"
        public static let threads = "FAST_RECEIVER_THREADS"
        public static let dataDirectory = "DATA_DIR"
        public static let durability = "FAST_RECEIVER_DURABILITY"
        public static let secretFile = "DT_SIGNATURE_SECRET_FILE"
        public static let clockSkew = "FAST_RECEIVER_CLOCK_SKEW"
        public static let maxHeaderBytes = "FAST_RECEIVER_MAX_HEADER_BYTES"
        public static let maxHeaderCount = "FAST_RECEIVER_MAX_HEADER_COUNT"
        public static let maxBodyBytes = "FAST_RECEIVER_MAX_BODY_BYTES"
        public static let headerTimeout = "FAST_RECEIVER_HEADER_TIMEOUT"
        public static let bodyTimeout = "FAST_RECEIVER_BODY_TIMEOUT"
        public static let idleTimeout = "FAST_RECEIVER_IDLE_TIMEOUT"
        public static let maxConnections = "FAST_RECEIVER_MAX_CONNECTIONS"
        public static let maxPipelined = "FAST_RECEIVER_MAX_PIPELINED"
        public static let shutdownGrace = "FAST_RECEIVER_SHUTDOWN_GRACE"
        public static let segmentBytes = "FAST_RECEIVER_SEGMENT_BYTES"
        public static let segmentAge = "FAST_RECEIVER_SEGMENT_AGE"
        public static let dedupeCapacity = "FAST_RECEIVER_DEDUPE_CAPACITY"
        public static let dedupeWindow = "FAST_RECEIVER_DEDUPE_WINDOW"
        public static let logFormat = "FAST_RECEIVER_LOG_FORMAT"
        public static let logLevel = "FAST_RECEIVER_LOG_LEVEL"
    }

    /// Builds the configuration.
    /// - Throws: `ConfigurationError` naming the first setting that is missing or out of range.
    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> ServerConfiguration {
        let reader = Reader(environment: environment)
        var configuration = ServerConfiguration()
        configuration.host = reader.string(host, Variable.host) ?? configuration.host
        configuration.port = try reader.integer(port, Variable.port, flag: "--port", range: 0...65535) ?? configuration.port
        configuration.eventPath = reader.string(path, Variable.path) ?? configuration.eventPath
        guard configuration.eventPath.hasPrefix("/"), !configuration.eventPath.contains(where: { $0 == "?" || $0 == " " || $0 == "#" }) else {
            throw ConfigurationError("--path must start with / and hold no spaces, ? or #; got \(configuration.eventPath).")
        }
        configuration.threads = try reader.integer(threads, Variable.threads, flag: "--threads", range: 1...1024) ?? ProcessResources.availableCPUs
        configuration.dataDirectory = reader.string(dataDirectory, Variable.dataDirectory) ?? configuration.dataDirectory
        let durabilityText = reader.string(durability, Variable.durability) ?? "fsync"
        guard let mode = Durability(rawValue: durabilityText) else {
            throw ConfigurationError("--durability must be fsync or write; got \(durabilityText).")
        }
        configuration.journal.durability = mode
        configuration.journal.segmentMaxBytes = try segmentMaxBytes(environment: environment)
        configuration.journal.segmentMaxAgeMilliseconds = try reader.milliseconds(segmentAge, Variable.segmentAge, flag: "--segment-age", range: 1...(7 * 86_400)) ?? configuration.journal.segmentMaxAgeMilliseconds
        configuration.dedupeCapacity = try reader.integer(dedupeCapacity, Variable.dedupeCapacity, flag: "--dedupe-capacity", range: 1...100_000_000) ?? configuration.dedupeCapacity
        configuration.dedupeWindowSeconds = Int64(try reader.integer(dedupeWindow, Variable.dedupeWindow, flag: "--dedupe-window", range: 1...(30 * 86_400)) ?? Int(configuration.dedupeWindowSeconds))
        configuration.clockSkew = Int64(try reader.integer(clockSkew, Variable.clockSkew, flag: "--clock-skew", range: 0...3600) ?? Int(configuration.clockSkew))
        configuration.limits.maxHeaderBytes = try reader.integer(maxHeaderBytes, Variable.maxHeaderBytes, flag: "--max-header-bytes", range: 1024...(1 << 20)) ?? configuration.limits.maxHeaderBytes
        configuration.limits.maxHeaderCount = try reader.integer(maxHeaderCount, Variable.maxHeaderCount, flag: "--max-header-count", range: 8...10_000) ?? configuration.limits.maxHeaderCount
        configuration.limits.maxBodyBytes = try reader.integer(maxBodyBytes, Variable.maxBodyBytes, flag: "--max-body-bytes", range: 1024...JournalRecord.maxBodyBytes) ?? configuration.limits.maxBodyBytes
        configuration.headerTimeoutMilliseconds = try reader.milliseconds(headerTimeout, Variable.headerTimeout, flag: "--header-timeout", range: 0.1...3600) ?? configuration.headerTimeoutMilliseconds
        configuration.bodyTimeoutMilliseconds = try reader.milliseconds(bodyTimeout, Variable.bodyTimeout, flag: "--body-timeout", range: 0.1...3600) ?? configuration.bodyTimeoutMilliseconds
        configuration.idleTimeoutMilliseconds = try reader.milliseconds(idleTimeout, Variable.idleTimeout, flag: "--idle-timeout", range: 0.1...86_400) ?? configuration.idleTimeoutMilliseconds
        configuration.maxConnections = try reader.integer(maxConnections, Variable.maxConnections, flag: "--max-connections", range: 1...1_000_000) ?? configuration.maxConnections
        configuration.maxPipelinedRequests = try reader.integer(maxPipelined, Variable.maxPipelined, flag: "--max-pipelined", range: 1...1024) ?? configuration.maxPipelinedRequests
        configuration.shutdownGraceMilliseconds = try reader.milliseconds(shutdownGrace, Variable.shutdownGrace, flag: "--shutdown-grace", range: 0...3600) ?? configuration.shutdownGraceMilliseconds
        let formatText = reader.string(logFormat, Variable.logFormat) ?? "text"
        guard let format = LogFormat(rawValue: formatText) else {
            throw ConfigurationError("--log-format must be text or json; got \(formatText).")
        }
        configuration.logFormat = format
        let levelText = reader.string(logLevel, Variable.logLevel) ?? "info"
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(levelText) else {
            throw ConfigurationError("--log-level must be one of \(levels.joined(separator: ", ")); got \(levelText).")
        }
        configuration.logLevel = levelText
        configuration.forwarding = try forwarding.resolve(environment: environment)
        let secretFileValue = reader.string(secretFile, Variable.secretFile)
        configuration.secretSource = SecretSource(secretFile: secretFileValue, environment: environment)
        do {
            configuration.secrets = try configuration.secretSource.load()
        } catch {
            throw ConfigurationError(error.description)
        }
        return configuration
    }

    /// The journal's segment size, from `--segment-bytes` or its variable, checked as `serve`
    /// checks it: tools that read a journal take the same setting to know the largest segment.
    /// - Throws: `ConfigurationError` when it is not a whole number in range.
    public func segmentMaxBytes(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> Int {
        try Reader(environment: environment).integer(segmentBytes, Variable.segmentBytes, flag: "--segment-bytes", range: (64 << 10)...(4 << 30))
            ?? WorkerJournal.Settings().segmentMaxBytes
    }

    private struct Reader {
        let environment: [String: String]

        func string(_ flag: String?, _ variable: String) -> String? {
            if let flag { return flag }
            guard let value = environment[variable], !value.isEmpty else { return nil }
            return value
        }

        func integer(_ flag: Int?, _ variable: String, flag name: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            let value: Int
            if let flag {
                value = flag
            } else if let text = string(nil, variable) {
                guard let parsed = Int(text.trimmingCharacters(in: .whitespaces)) else {
                    throw ConfigurationError("\(variable) must be a whole number for \(name); got \(text).")
                }
                value = parsed
            } else {
                return nil
            }
            guard range.contains(value) else {
                throw ConfigurationError("\(name) must be between \(range.lowerBound) and \(range.upperBound); got \(value).")
            }
            return value
        }

        func milliseconds(_ flag: Double?, _ variable: String, flag name: String, range: ClosedRange<Double>) throws(ConfigurationError) -> Int? {
            let value: Double
            if let flag {
                value = flag
            } else if let text = string(nil, variable) {
                guard let parsed = Double(text.trimmingCharacters(in: .whitespaces)) else {
                    throw ConfigurationError("\(variable) must be a number of seconds for \(name); got \(text).")
                }
                value = parsed
            } else {
                return nil
            }
            guard value.isFinite, range.contains(value) else {
                throw ConfigurationError("\(name) must be between \(range.lowerBound) and \(range.upperBound) seconds; got \(value).")
            }
            return Int((value * 1000).rounded())
        }
    }
}
