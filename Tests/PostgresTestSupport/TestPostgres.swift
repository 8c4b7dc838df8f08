internal import FastReceiverPostgres
internal import Foundation
internal import Glibc
internal import ProcessTestSupport

/// A real PostgreSQL server of its own for a test or a benchmark: a cluster in a temporary
/// directory, listening on 127.0.0.1 and a free port with password (SCRAM) authentication, its
/// unix socket inside that directory. It can be stopped — politely or as a crash — and started
/// again on the same port, and is always stopped and removed when released.
///
/// `initdb` runs once per process; each server starts from a copy of that cluster, which takes
/// a fraction of a second.
///
/// Uses the server binaries of the newest PostgreSQL under `/usr/lib/postgresql/*/bin`. PostgreSQL
/// refuses to run as root, so under root every server command runs as the `postgres` user
/// (`runuser`), which then owns the directory. A machine without them has `unavailableReason`.
public final class TestPostgres {
    /// The superuser the cluster is created with.
    public static let user = "postgres"
    /// The database `url` names, created empty with the server.
    public static let database = "fast_receiver"

    /// How `stop(_:)` shuts the server down (`pg_ctl stop -m`).
    public enum StopMode: String, Sendable {
        /// Disconnects clients, aborts their transactions and shuts down cleanly.
        case fast
        /// Kills every server process at once, as a crash would; the next start recovers.
        case immediate
    }

    /// The temporary directory holding the cluster (`data/`), its log and its socket.
    public let directory: String
    /// The TCP port, the same across restarts.
    public private(set) var port: Int
    /// The superuser's password (random, hex).
    public let password: String
    /// Whether the server is running (as far as this object started and stopped it).
    public private(set) var isRunning = false

    /// Why no server can be started here, or nil when one can.
    public static let unavailableReason: String? = {
        guard binaries != nil else { return "PostgreSQL's server binaries (initdb, pg_ctl) are not installed under /usr/lib/postgresql/*/bin" }
        if geteuid() == 0 {
            guard getpwnam(user) != nil else { return "running as root, and there is no 'postgres' user to run PostgreSQL as" }
            guard runuser != nil else { return "running as root, and runuser is missing" }
        }
        return nil
    }()

    /// Whether a server can be started here.
    public static var isAvailable: Bool { unavailableReason == nil }

    /// Whether tests that need a server run: when one can be started here, or when
    /// `FAST_RECEIVER_REQUIRE_POSTGRES=1` (CI sets it) — then a machine without PostgreSQL fails
    /// those tests, saying why, instead of skipping them.
    public static var shouldRun: Bool {
        isAvailable || ProcessInfo.processInfo.environment["FAST_RECEIVER_REQUIRE_POSTGRES"] == "1"
    }

    /// Starts a server of its own: a copy of a cluster made once per process (`initdb`, then
    /// `database` created), started on a free port.
    ///
    /// - Parameter durable: keep PostgreSQL's durability settings (fsync, full-page writes) and
    ///   put the cluster on disk, as a benchmark should. Tests leave it false: the cluster then
    ///   lives in `/dev/shm` where there is one, without fsync.
    /// - Throws: `TestPostgres.Failure` with the command's output when a step fails.
    public init(durable: Bool = false) throws {
        let template = try Self.template.get()
        password = template.password
        directory = (durable ? NSTemporaryDirectory() : Self.fastRoot) + "fast-receiver-pg-\(UUID().uuidString)"
        port = try Self.freePort()
        try Self.createOwnedDirectory(directory)
        do {
            try Self.run("/bin/cp", ["-a", template.directory + "/data", directory + "/data"], in: directory)
            if !durable {
                // Commits still reach the kernel before they return, so a crash of the server alone
                // (`stop(.immediate)`) keeps every committed row; only a crash of the machine would not.
                try Self.appendSettings(["fsync = off", "full_page_writes = off", "shared_buffers = '16MB'"], in: directory)
            }
            port = try Self.startOnFreePort(in: directory, port: port)
            isRunning = true
        } catch {
            tearDown()
            throw error
        }
    }

    deinit {
        tearDown()
    }

    /// A connection URI for this server: `postgres://postgres:<password>@127.0.0.1:<port>/<database>`.
    ///
    /// - Parameters:
    ///   - user: the user; default the superuser.
    ///   - password: the password; default the superuser's. It is percent-encoded here.
    ///   - database: the database; default `TestPostgres.database`.
    ///   - query: URI query parameters, e.g. `sslmode=disable`.
    public func url(user: String = TestPostgres.user, password: String? = nil, database: String = TestPostgres.database, query: String? = nil) -> String {
        let secret = (password ?? self.password).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return "postgres://\(user):\(secret)@127.0.0.1:\(port)/\(database)" + (query.map { "?" + $0 } ?? "")
    }

    /// The URI for the default user and database.
    public var url: String { url() }

    /// Starts the stopped server on the same port and waits until it accepts connections
    /// (after an `.immediate` stop, until it has recovered).
    /// - Throws: `TestPostgres.Failure`.
    public func start() throws {
        guard !isRunning else { return }
        try Self.start(in: directory, port: port)
        isRunning = true
    }

    /// Stops the server.
    /// - Parameter mode: `.fast` (clean) or `.immediate` (a crash).
    /// - Throws: `TestPostgres.Failure`.
    public func stop(_ mode: StopMode = .fast) throws {
        guard isRunning else { return }
        try Self.stop(in: directory, mode: mode)
        isRunning = false
    }

    /// A command of the server's that failed, with what it printed and the end of the server log.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: -

    /// The newest `/usr/lib/postgresql/<version>/bin` with `initdb` and `pg_ctl`.
    private static let binaries: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted(by: >).map { "\(root)/\($0)/bin" }.first { bin in
            FileManager.default.isExecutableFile(atPath: bin + "/initdb") && FileManager.default.isExecutableFile(atPath: bin + "/pg_ctl")
        }
    }()

    private static let runuser: String? = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// The user the server runs as when this process is root.
    private static var serverOwner: (uid: uid_t, gid: gid_t)? {
        guard geteuid() == 0, let entry = getpwnam(user) else { return nil }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    private func tearDown() {
        if isRunning { try? stop(.immediate) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Where clusters for tests go: memory, when the machine has a writable `/dev/shm` with at
    /// least 1 GiB free (a container's is often 64 MiB), else the temporary directory.
    private static let fastRoot: String = {
        var stats = statvfs()
        let isRoomy = statvfs("/dev/shm", &stats) == 0 && UInt64(stats.f_bavail) * UInt64(stats.f_frsize) >= 1 << 30
        return isRoomy && access("/dev/shm", W_OK) == 0 ? "/dev/shm/" : NSTemporaryDirectory()
    }()

    /// The cluster every instance copies, made once per process and removed at exit.
    private struct Template {
        let directory: String
        let password: String
    }

    private static let template = Result<Template, any Error> {
        guard let binaries, isAvailable else { throw Failure(unavailableReason ?? "PostgreSQL is unavailable") }
        removeAbandoned()
        let directory = fastRoot + "fast-receiver-pg-\(UUID().uuidString)"
        let password = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try createOwnedDirectory(directory)
        atexit { TestPostgres.removeTemplate() }
        let passwordFile = directory + "/password"
        try password.write(toFile: passwordFile, atomically: false, encoding: .utf8)
        if let owner = serverOwner { chown(passwordFile, owner.uid, owner.gid) }
        try run(binaries + "/initdb", [
            "--pgdata=\(directory)/data", "--username=\(user)", "--auth=scram-sha-256", "--pwfile=\(passwordFile)",
            "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions",
        ], in: directory)
        try FileManager.default.removeItem(atPath: passwordFile)
        try appendSettings(["listen_addresses = '127.0.0.1'", "max_connections = 30", "logging_collector = off"], in: directory)
        let port = try startOnFreePort(in: directory, port: freePort())
        do {
            let administration = try PostgresConnection(url: "postgres://\(user):\(password)@127.0.0.1:\(port)/postgres")
            try administration.execute("CREATE DATABASE \(database)")
        } catch {
            try? stop(in: directory, mode: .immediate)
            throw error
        }
        try stop(in: directory, mode: .fast)
        return Template(directory: directory, password: password)
    }

    private static func removeTemplate() {
        if case .success(let template) = template { try? FileManager.default.removeItem(atPath: template.directory) }
    }

    /// Creates `directory`, private to the user the server runs as, marked with this process's id.
    private static func createOwnedDirectory(_ directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try String(getpid()).write(toFile: directory + "/owner.pid", atomically: false, encoding: .utf8)
        if let owner = serverOwner { chown(directory, owner.uid, owner.gid) }
    }

    /// Appends `settings` to the cluster's `postgresql.conf` (a later line overrides an earlier one).
    private static func appendSettings(_ settings: [String], in directory: String) throws {
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/data/postgresql.conf"))
        defer { try? file.close() }
        try file.seekToEnd()
        try file.write(contentsOf: Data((settings.joined(separator: "\n") + "\n").utf8))
    }

    /// Starts the server in `directory` on `port`, listening on 127.0.0.1 with its socket in
    /// `directory`, and waits until it accepts connections.
    private static func start(in directory: String, port: Int) throws {
        guard let binaries else { throw Failure(unavailableReason ?? "PostgreSQL is unavailable") }
        try run(binaries + "/pg_ctl", [
            "start", "--pgdata=\(directory)/data", "--log=\(directory)/server.log", "--wait", "--timeout=60", "--silent",
            "-o", "-p \(port) -k \(directory)",
        ], in: directory)
    }

    /// Starts the server on `port`, or on another free one if another process took it meanwhile.
    /// - Returns: the port it listens on.
    private static func startOnFreePort(in directory: String, port: Int) throws -> Int {
        var port = port
        for attempt in 1...3 {
            do {
                try start(in: directory, port: port)
                return port
            } catch let failure as Failure where attempt < 3 && failure.description.contains("could not bind") {
                port = try freePort()
            }
        }
        return port
    }

    private static func stop(in directory: String, mode: StopMode) throws {
        guard let binaries else { throw Failure(unavailableReason ?? "PostgreSQL is unavailable") }
        try run(binaries + "/pg_ctl", ["stop", "--pgdata=\(directory)/data", "--mode=\(mode.rawValue)", "--wait", "--timeout=60", "--silent"], in: directory)
    }

    /// Runs a server command (as the `postgres` user under root) in `directory` and waits for it.
    ///
    /// Started as `SpawnedProcess` starts a child, with a clean signal state and no descriptor
    /// of this process but the standard ones, and reaped here: `pg_ctl start` leaves a server
    /// running that would otherwise inherit this process's sockets (holding other tests'
    /// connections open), block the signals `pg_ctl stop` sends, and outlive what
    /// `Foundation.Process` watches to notice that the command has exited.
    private static func run(_ executable: String, _ arguments: [String], in directory: String) throws {
        let asServerOwner = serverOwner != nil ? [runuser ?? "runuser", "-u", user, "--"] : []
        let command = asServerOwner + ["/usr/bin/env", "--chdir=\(directory)", executable] + arguments
        let outputPath = NSTemporaryDirectory() + "fast-receiver-pg-output-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let child: SpawnedProcess
        do {
            child = try SpawnedProcess(executable: command[0], arguments: Array(command.dropFirst()), standardOutput: outputPath,
                                       standardError: .standardOutput)
        } catch {
            throw Failure("starting \(command[0]) failed: \(error)")
        }
        let status = child.reap(blocking: true)
        guard status == 0 else {
            let printed = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            let name = URL(fileURLWithPath: executable).lastPathComponent
            let ending = status.map { "exit status \($0)" } ?? "its exit status could not be collected"
            throw Failure("\(name) \(arguments.first ?? "") failed (\(ending)): \(printed)\nserver log:\n\(log.suffix(2000))")
        }
    }

    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    public static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure("binding a port on 127.0.0.1 failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Stops and removes servers left by test processes that died without cleaning up.
    private static func removeAbandoned() {
        for root in Set([fastRoot, NSTemporaryDirectory()]) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            for name in names where name.hasPrefix("fast-receiver-pg-") && !name.hasPrefix("fast-receiver-pg-output-") {
                removeIfAbandoned(root + name)
            }
        }
    }

    /// Stops and removes the cluster at `path` if the process that made it is gone.
    private static func removeIfAbandoned(_ path: String) {
        guard let text = try? String(contentsOfFile: path + "/owner.pid", encoding: .utf8), let owner = pid_t(text) else { return }
        guard kill(owner, 0) != 0 && errno == ESRCH else { return }
        if FileManager.default.fileExists(atPath: path + "/data/postmaster.pid") { try? stop(in: path, mode: .immediate) }
        try? FileManager.default.removeItem(atPath: path)
    }
}
