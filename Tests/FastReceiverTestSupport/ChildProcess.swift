public import Foundation
internal import Glibc
internal import ProcessTestSupport

/// A program a test runs as a child process: the `fast-receiver` executable built alongside the
/// tests unless another is named.
///
/// The child starts as `SpawnedProcess` starts one: nothing blocked unless `blocking` asks for
/// it, the lifecycle signals and SIGPIPE at their default action, no descriptor of this process
/// but the standard ones (input from a file; output and error each to a file of their own, read
/// on demand). Every child is reaped: by `waitForExit`, or else by `deinit`, which kills it
/// first, so that a failing or throwing test leaves nothing running. A child still running when
/// the test process exits fails the run.
public final class ChildProcess {
    private let spawned: SpawnedProcess
    public var processIdentifier: pid_t { spawned.processIdentifier }
    /// Standard output and error go to files, read on demand.
    public let outputFile: String
    public let errorFile: String
    /// The exit status once reaped (128 + the signal's number when a signal ended it).
    private var status: Int32?

    /// The built executable: next to the test bundle, under the package's build folder.
    public static func executable() throws -> String {
        if let path = ProcessInfo.processInfo.environment["FAST_RECEIVER_BINARY"] { return path }
        var candidates = CommandLine.arguments.filter { $0.hasSuffix(".xctest") }.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
        candidates.append(Bundle.main.bundleURL)
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(Fixtures.packageRoot.appendingPathComponent(".build/debug"))
        for directory in candidates {
            let url = directory.appendingPathComponent("fast-receiver")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url.path }
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "fast-receiver next to the test bundle"])
    }

    /// Starts the child.
    /// - Parameters:
    ///   - executable: the program's path; the built `fast-receiver` when nil.
    ///   - arguments: its arguments, without the program's name.
    ///   - environment: its whole environment.
    ///   - standardInput: the file it reads as standard input.
    ///   - blockedSignals: signals blocked in the child's initial mask, as a parent that blocks
    ///     signals would hand it down; none by default.
    /// - Throws: `SpawnedProcess.Failure` when the child cannot be spawned.
    public init(executable: String? = nil, arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
         standardInput: String = "/dev/null", blocking blockedSignals: [Int32] = []) throws {
        _ = Self.exitCheck
        let program = try executable ?? Self.executable()
        let name = NSTemporaryDirectory() + "fast-receiver-child-\(UUID().uuidString)"
        outputFile = name + ".out"
        errorFile = name + ".err"
        spawned = try SpawnedProcess(executable: program, arguments: arguments, environment: environment, standardInput: standardInput,
                                     standardOutput: outputFile, standardError: .file(errorFile), blocking: blockedSignals)
    }

    deinit {
        if reap(blocking: false) == nil {
            Glibc.kill(processIdentifier, SIGKILL)
            _ = reap(blocking: true)
        }
        unlink(outputFile)
        unlink(errorFile)
    }

    /// Sends `number` to the child, unless it has already been reaped (its pid may be reused).
    public func signal(_ number: Int32) {
        if status == nil { Glibc.kill(processIdentifier, number) }
    }

    /// Whether the child has not exited yet; reaps it if it has.
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// Waits for the child to exit and reaps it.
    /// - Returns: the exit status (128 + the signal's number when a signal ended it), or nil when
    ///   the child is still running after `timeout` seconds.
    public func waitForExit(timeout: Double) -> Int32? {
        _ = waitUntil(deadline: .seconds(timeout)) { !isRunning }
        return status
    }

    /// Waits for the "listening on host:port" line and returns the port.
    /// - Throws: when the child exits, or `timeout` seconds pass, without announcing one.
    public func waitForPort(timeout: Double = 30) throws -> Int {
        func announced() -> Int? { standardError.firstMatch(of: /listening on [^\s]*:(\d+)\//).flatMap { Int($0.1) } }
        _ = waitUntil(deadline: .seconds(timeout)) { !isRunning || announced() != nil }
        guard let port = announced() else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "no port announced: \(standardError)"])
        }
        return port
    }

    public var standardError: String { (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "" }
    public var standardOutput: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }

    /// Collects the exit status if the child has exited, or waits for it when `blocking`.
    private func reap(blocking: Bool) -> Int32? {
        if let status { return status }
        status = spawned.reap(blocking: blocking)
        return status
    }

    /// Registers, with the first child, the check that runs when the test process exits.
    private static let exitCheck: Void = { atexit { ChildProcess.failIfAnyChildRuns() } }()

    /// Kills and reaps every child of this process that is still running, and if there was one,
    /// says so on standard error and ends the process with status 1: a test left it behind.
    public static func failIfAnyChildRuns() {
        let children = runningChildren()
        guard !children.isEmpty else { return }
        var report = "\n*** FAILED: \(children.count) child process(es) the tests started were still running at exit; killed now:\n"
        for (pid, command) in children {
            report += "***   pid \(pid): \(command)\n"
            Glibc.kill(pid, SIGKILL)
        }
        for (pid, _) in children { waitpid(pid, nil, 0) }
        report += "*** Every test must reap what it starts (ChildProcess does so in waitForExit and deinit).\n\n"
        _ = Array(report.utf8).withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        _exit(1)
    }

    /// The children of this process that have not exited, with their command lines, from /proc.
    public static func runningChildren() -> [(pid: pid_t, command: String)] {
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            // /proc/PID/stat: "PID (command) STATE PPID ..."; the command may hold spaces and parentheses.
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let end = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            guard fields.count > 1, fields[0] != "Z", pid_t(fields[1]) == me else { return nil }
            let command = (try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8)) ?? ""
            return (pid, command.split(separator: "\0").joined(separator: " "))
        }
    }
}
