internal import Foundation

/// A command-line tool found on `PATH` (`openssl`, `python3`), run as a child process whose
/// standard input the test writes to while it runs, and whose output is collected in files
/// (a pipe could fill up and stall it).
public final class ToolProcess {
    /// How a run ended.
    public struct Result {
        public let status: Int32
        public let standardOutput: String
        public let standardError: String
        /// Whether the deadline passed and the tool was killed.
        public let timedOut: Bool
    }

    private let process = Process()
    private let input = Pipe()
    private let outputFile: String
    private let errorFile: String

    public init(_ command: [String], directory: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let base = NSTemporaryDirectory() + "fast-receiver-tool-\(UUID().uuidString)"
        outputFile = base + ".out"
        errorFile = base + ".err"
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        let error = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
        process.standardOutput = output
        process.standardError = error
        process.standardInput = input
        try process.run()
        // The child has its own copies now.
        try? output.close()
        try? error.close()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: outputFile)
        try? FileManager.default.removeItem(atPath: errorFile)
    }

    /// Writes `text` to the tool's standard input, if the tool still runs (a write into the pipe
    /// of a tool that has exited would raise SIGPIPE, which this process does not ignore).
    public func send(_ text: String) {
        guard process.isRunning else { return }
        input.fileHandleForWriting.write(Data(text.utf8))
    }

    /// What the tool has written to standard output so far.
    public var standardOutput: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }
    /// What the tool has written to standard error so far.
    public var standardError: String { (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "" }

    /// Closes standard input and waits for the tool to exit, killing it after `timeout` seconds
    /// (a generous deadline only a hang would miss).
    public func finish(timeout: Double = 30) -> Result {
        try? input.fileHandleForWriting.close()
        let timedOut = !waitUntil(deadline: .seconds(timeout)) { !process.isRunning }
        if timedOut {
            process.terminate()
            process.waitUntilExit()
        }
        return Result(
            status: process.terminationStatus,
            standardOutput: standardOutput,
            standardError: standardError,
            timedOut: timedOut
        )
    }

    /// Runs a tool to the end with `input` on its standard input.
    public static func run(_ command: [String], input: String = "", directory: String? = nil, timeout: Double = 30) throws -> Result {
        let tool = try ToolProcess(command, directory: directory)
        if !input.isEmpty { tool.send(input) }
        return tool.finish(timeout: timeout)
    }
}
