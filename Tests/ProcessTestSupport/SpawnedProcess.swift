public import Glibc

/// A child process started with `posix_spawn` in a clean state of its own, for the tests'
/// processes and the tests' PostgreSQL alike.
///
/// Tests run on libdispatch worker threads, whose signal mask blocks nearly every signal, and a
/// child inherits its parent thread's mask and ignored signals across `exec`. So a child starts
/// with nothing blocked unless asked, and SIGTERM, SIGINT, SIGHUP, SIGQUIT and SIGPIPE at their
/// default action. Every descriptor above standard error is closed in the child: a copy of
/// another test's socket or file would keep it open for as long as the child, or anything the
/// child leaves running (`pg_ctl start` leaves a server), lives.
///
/// The child is the caller's to reap, with `reap(blocking:)`, exactly once.
public struct SpawnedProcess: Sendable {
    /// Where the child's standard error goes.
    public enum ErrorOutput: Sendable {
        /// A file of its own, created or truncated.
        case file(String)
        /// The same open file as standard output, so the two interleave as written.
        case standardOutput
    }

    /// A step of starting the child that failed, with the `errno` it returned.
    public struct Failure: Error, CustomStringConvertible {
        public let call: String
        public let errno: Int32
        public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
    }

    public let processIdentifier: pid_t

    /// Starts the child.
    /// - Parameters:
    ///   - executable: the program's path (not searched for on `PATH`).
    ///   - arguments: its arguments, without the program's name.
    ///   - environment: its whole environment; nil hands down this process's.
    ///   - standardInput: the file it reads as standard input.
    ///   - standardOutput: the file its standard output goes to, created or truncated (mode 0600).
    ///   - standardError: where its standard error goes.
    ///   - blockedSignals: signals blocked in the child's initial mask, as a parent that blocks
    ///     signals would hand it down; none by default.
    /// - Throws: `SpawnedProcess.Failure` when the child cannot be started.
    public init(executable: String, arguments: [String], environment: [String: String]? = nil, standardInput: String = "/dev/null",
                standardOutput: String, standardError: ErrorOutput, blocking blockedSignals: [Int32] = []) throws(Failure) {
        var attributes = posix_spawnattr_t()
        try Self.check(posix_spawnattr_init(&attributes), "posix_spawnattr_init")
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in blockedSignals { sigaddset(&mask, signal) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE] { sigaddset(&defaults, signal) }
        try Self.check(posix_spawnattr_setsigmask(&attributes, &mask), "posix_spawnattr_setsigmask")
        try Self.check(posix_spawnattr_setsigdefault(&attributes, &defaults), "posix_spawnattr_setsigdefault")
        try Self.check(posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)), "posix_spawnattr_setflags")

        var actions = posix_spawn_file_actions_t()
        try Self.check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }
        let create = O_WRONLY | O_CREAT | O_TRUNC
        try Self.check(posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, standardInput, O_RDONLY, 0), "posix_spawn_file_actions_addopen")
        try Self.check(posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, standardOutput, create, 0o600), "posix_spawn_file_actions_addopen")
        switch standardError {
        case .file(let path):
            try Self.check(posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, path, create, 0o600), "posix_spawn_file_actions_addopen")
        case .standardOutput:
            try Self.check(posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO), "posix_spawn_file_actions_adddup2")
        }
        try Self.check(Self.addCloseFrom(&actions, STDERR_FILENO + 1), "posix_spawn_file_actions_addclosefrom_np")

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { (argv + (envp ?? [])).forEach { free($0) } }
        var pid: pid_t = 0
        let result = envp.map { posix_spawn(&pid, executable, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        try Self.check(result, "posix_spawn \(executable)")
        processIdentifier = pid
    }

    /// Collects the child's exit status once it has exited, waiting for that when `blocking`.
    /// Call it until it returns a status, and not after: the pid is free for reuse from then on.
    /// - Returns: the exit status (128 + the signal's number when a signal ended the child), or
    ///   nil while it still runs.
    public func reap(blocking: Bool) -> Int32? {
        var raw: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(processIdentifier, &raw, blocking ? 0 : WNOHANG) } while result == -1 && errno == EINTR
        guard result == processIdentifier else { return nil }
        // <sys/wait.h>'s macros: the low 7 bits are the signal that ended it, or 0 for an exit.
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    }

    private static func check(_ result: Int32, _ call: String) throws(Failure) {
        guard result == 0 else { throw Failure(call: call, errno: result) }
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
    /// module does not declare (it sits behind `_GNU_SOURCE`); ENOSYS where it is missing.
    private static let addCloseFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return { _, _ in ENOSYS } }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()
}
