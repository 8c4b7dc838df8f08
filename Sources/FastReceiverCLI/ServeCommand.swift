internal import ArgumentParser
internal import FastReceiver
internal import Logging

/// `fast-receiver serve`: the ingestion server (also what runs with no subcommand).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Receive, verify and store Data Connector events.",
        discussion: """
            Every flag also reads the environment variable in brackets; flags win. The secret \
            comes from DT_SIGNATURE_SECRET (DT_SIGNATURE_SECRET_PREVIOUS is also accepted while \
            rotating) or from --secret-file; from either, whitespace around a secret (spaces, \
            tabs, a trailing newline) is removed. SIGTERM or SIGINT drains and exits 0.
            """
    )

    @Option(help: ArgumentHelp("Address to listen on [HOST]. Default 0.0.0.0.", valueName: "address"))
    var host: String?
    @Option(help: ArgumentHelp("TCP port [PORT]. Default 8080.", valueName: "port"))
    var port: Int?
    @Option(help: ArgumentHelp("Path DT posts events to [FAST_RECEIVER_PATH]. Default /.", valueName: "path"))
    var path: String?
    @Option(help: ArgumentHelp("Worker threads [FAST_RECEIVER_THREADS]. Default: the CPUs this process may use.", valueName: "n"))
    var threads: Int?
    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Journal directory [DATA_DIR]. Default ./data.", valueName: "dir"))
    var dataDirectory: String?
    @Option(help: ArgumentHelp("When a 200 is sent: fsync (survives power loss) or write (survives a crash of this process) [FAST_RECEIVER_DURABILITY]. Default fsync.", valueName: "mode"))
    var durability: String?
    @Option(help: ArgumentHelp("File of secrets, one a line, current first [DT_SIGNATURE_SECRET_FILE].", valueName: "file"))
    var secretFile: String?
    @Option(help: ArgumentHelp("Seconds of clock skew tolerated on exp and iat [FAST_RECEIVER_CLOCK_SKEW]. Default 60.", valueName: "seconds"))
    var clockSkew: Int?
    @Option(help: ArgumentHelp("Largest request line plus headers, in bytes [FAST_RECEIVER_MAX_HEADER_BYTES]. Default 16384.", valueName: "bytes"))
    var maxHeaderBytes: Int?
    @Option(help: ArgumentHelp("Most header fields per request [FAST_RECEIVER_MAX_HEADER_COUNT]. Default 100.", valueName: "n"))
    var maxHeaderCount: Int?
    @Option(help: ArgumentHelp("Largest body, in bytes, both as received (without its chunked framing) and once gzip or deflate is undone [FAST_RECEIVER_MAX_BODY_BYTES]. Default 1048576. A chunked body is accepted however small its chunks: its framing (size lines, extensions, line ends) may take up to --max-header-bytes plus 8 bytes per byte of this limit.", valueName: "bytes"))
    var maxBodyBytes: Int?
    @Option(help: ArgumentHelp("Seconds from a request's first byte to the end of its headers [FAST_RECEIVER_HEADER_TIMEOUT]. Default 10.", valueName: "seconds"))
    var headerTimeout: Double?
    @Option(help: ArgumentHelp("Seconds from the end of the headers to the end of the body [FAST_RECEIVER_BODY_TIMEOUT]. Default 30.", valueName: "seconds"))
    var bodyTimeout: Double?
    @Option(help: ArgumentHelp("Seconds an idle keep-alive connection stays open [FAST_RECEIVER_IDLE_TIMEOUT]. Default 60.", valueName: "seconds"))
    var idleTimeout: Double?
    @Option(help: ArgumentHelp("Open connections at most; more wait in the listen backlog [FAST_RECEIVER_MAX_CONNECTIONS]. Default 10000.", valueName: "n"))
    var maxConnections: Int?
    @Option(help: ArgumentHelp("Requests read on one connection before reading pauses for answers [FAST_RECEIVER_MAX_PIPELINED]. Default 32.", valueName: "n"))
    var maxPipelined: Int?
    @Option(help: ArgumentHelp("Seconds a graceful shutdown may take [FAST_RECEIVER_SHUTDOWN_GRACE]. Default 25.", valueName: "seconds"))
    var shutdownGrace: Double?
    @Option(help: ArgumentHelp("Rotate a journal segment after this many bytes [FAST_RECEIVER_SEGMENT_BYTES]. Default 67108864.", valueName: "bytes"))
    var segmentBytes: Int?
    @Option(help: ArgumentHelp("Rotate a journal segment after this many seconds [FAST_RECEIVER_SEGMENT_AGE]. Default 3600.", valueName: "seconds"))
    var segmentAge: Double?
    @Option(help: ArgumentHelp("Log lines as text or json [FAST_RECEIVER_LOG_FORMAT]. Default text.", valueName: "format"))
    var logFormat: String?
    @Option(help: ArgumentHelp("Lowest level logged: trace, debug, info, notice, warning, error, critical [FAST_RECEIVER_LOG_LEVEL]. Default info.", valueName: "level"))
    var logLevel: String?
    @Option(help: ArgumentHelp("Event ids remembered for dedupe [FAST_RECEIVER_DEDUPE_CAPACITY]. Default 1000000.", valueName: "n"))
    var dedupeCapacity: Int?
    @Option(help: ArgumentHelp("Seconds an event id is remembered for dedupe [FAST_RECEIVER_DEDUPE_WINDOW]. Default 86400.", valueName: "seconds"))
    var dedupeWindow: Int?
    @OptionGroup(title: "Forwarding to PostgreSQL") var forwarding: ForwardingFlags

    func run() throws {
        var options = ServeOptions()
        options.host = host
        options.port = port
        options.path = path
        options.threads = threads
        options.dataDirectory = dataDirectory
        options.durability = durability
        options.secretFile = secretFile
        options.clockSkew = clockSkew
        options.maxHeaderBytes = maxHeaderBytes
        options.maxHeaderCount = maxHeaderCount
        options.maxBodyBytes = maxBodyBytes
        options.headerTimeout = headerTimeout
        options.bodyTimeout = bodyTimeout
        options.idleTimeout = idleTimeout
        options.maxConnections = maxConnections
        options.maxPipelined = maxPipelined
        options.shutdownGrace = shutdownGrace
        options.segmentBytes = segmentBytes
        options.segmentAge = segmentAge
        options.dedupeCapacity = dedupeCapacity
        options.dedupeWindow = dedupeWindow
        options.logFormat = logFormat
        options.logLevel = logLevel
        options.forwarding = forwarding.options
        do {
            let configuration = try options.resolve()
            configuration.logFormat.bootstrap(level: Logger.Level(rawValue: configuration.logLevel) ?? .info)
            try ReceiverService.run(configuration: configuration, logger: Logger(label: "fast-receiver"))
        } catch let error as ConfigurationError {
            throw ExitCode.refusal(printing: error)
        }
    }
}
