public import Foundation
internal import Testing

/// The `fast-receiver` executable built alongside the tests, run as a child process.
public final class ChildProcess {
    public let process = Process()
    /// Standard output and error go to files, read on demand: no dispatch sources watching
    /// pipes, whose descriptors could otherwise be closed under them.
    public let outputFile: String
    public let errorFile: String

    /// The built executable: next to the test bundle, under the package's build folder.
    public static func executable() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["FAST_RECEIVER_BINARY"] { return URL(fileURLWithPath: path) }
        var candidates = CommandLine.arguments.filter { $0.hasSuffix(".xctest") }.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
        candidates.append(Bundle.main.bundleURL)
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug"))
        for directory in candidates {
            let url = directory.appendingPathComponent("fast-receiver")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "fast-receiver next to the test bundle"])
    }

    public init(arguments: [String], environment: [String: String]) throws {
        process.executableURL = try Self.executable()
        process.arguments = arguments
        process.environment = environment
        let name = NSTemporaryDirectory() + "fast-receiver-child-\(UUID().uuidString)"
        outputFile = name + ".out"
        errorFile = name + ".err"
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        let error = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
        process.standardOutput = output
        process.standardError = error
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

    /// Waits for the "listening on host:port" line and returns the port.
    public func waitForPort(timeout: Double = 30) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let match = standardError.firstMatch(of: /listening on [^\s]*:(\d+)\//), let port = Int(match.1) { return port }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "no port announced: \(standardError)"])
    }

    /// Waits for exit; returns the status, or nil on timeout.
    public func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    public var standardError: String { (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "" }
    public var standardOutput: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }
}
