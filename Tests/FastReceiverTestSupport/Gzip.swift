internal import Foundation

/// gzip via the system's gzip tool, for test inputs.
public func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let input = NSTemporaryDirectory() + "fast-receiver-gzip-\(UUID().uuidString)"
    FileManager.default.createFile(atPath: input, contents: Data(bytes))
    defer { try? FileManager.default.removeItem(atPath: input) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-n", "-c", input]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Array(data)
}
