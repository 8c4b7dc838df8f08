internal import Foundation
internal import Testing

/// gzip via the system's gzip tool, for test inputs.
public func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let input = NSTemporaryDirectory() + "fast-receiver-gzip-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: input, contents: Data(bytes))
    defer { try? FileManager.default.removeItem(atPath: input) }
    let gzip = try ChildProcess(executable: "/bin/gzip", arguments: ["-n", "-c", input])
    try #require(gzip.waitForExit(timeout: 30) == 0)
    return Array(try Data(contentsOf: URL(fileURLWithPath: gzip.outputFile)))
}
