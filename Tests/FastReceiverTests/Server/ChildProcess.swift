import Foundation
import Testing

/// The `fast-receiver` executable built alongside the tests, run as a child process.
final class ChildProcess {
    let process = Process()
    private let errorPipe = Pipe()
    private let outputPipe = Pipe()
    private let errorLines = LockedLines()
    let outputFile: String

    /// The built executable: next to the test bundle, under the package's build folder.
    static func executable() throws -> URL {
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

    init(arguments: [String], environment: [String: String]) throws {
        process.executableURL = try Self.executable()
        process.arguments = arguments
        process.environment = environment
        outputFile = NSTemporaryDirectory() + "fast-receiver-child-\(UUID().uuidString).out"
        FileManager.default.createFile(atPath: outputFile, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        process.standardError = errorPipe
        let lines = errorLines
        errorPipe.fileHandleForReading.readabilityHandler = { handle in
            lines.append(String(decoding: handle.availableData, as: UTF8.self))
        }
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: outputFile)
    }

    /// Waits for the "listening on host:port" line and returns the port.
    func waitForPort(timeout: Double = 30) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let match = errorLines.text.firstMatch(of: /listening on [^\s]*:(\d+)\//), let port = Int(match.1) { return port }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "no port announced: \(errorLines.text)"])
    }

    /// Waits for exit; returns the status, or nil on timeout.
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    var standardError: String { errorLines.text }
    var standardOutput: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage = ""
    func append(_ text: String) { lock.lock(); storage += text; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return storage }
}
