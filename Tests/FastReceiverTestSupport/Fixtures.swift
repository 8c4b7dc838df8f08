internal import FastReceiverJSON
public import Foundation
public import Testing

/// Test fixtures shipped in `Tests/Fixtures` (see its README for sources), and the package's
/// own folders that tests replay (fuzzer seeds and regressions).
public enum Fixtures {
    /// The package's root folder.
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // FastReceiverTestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `Tests/Fixtures`.
    public static let directory = packageRoot.appendingPathComponent("Tests/Fixtures")

    public static func data(_ path: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(path))
    }

    public static func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data(path)) as? [String: Any])
    }

    /// The files in a folder of the package, sorted by name, hidden files left out; none when the
    /// folder does not exist.
    /// - Parameter relativePath: the folder, from the package root.
    public static func files(in relativePath: String) throws -> [URL] {
        let folder = packageRoot.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// One of DT's real signed sample requests.
    public struct DTRequest: Sendable, CustomTestStringConvertible {
        public let source: String
        public let signature: String
        public let body: [UInt8]
        public let iat: Int64
        public let exp: Int64
        public var testDescription: String { source }
    }

    public static let dtSecret = "test-secret"

    public static func dtRequests() throws -> [DTRequest] {
        let root = try json("dt-sample-requests.json")
        let requests = try #require(root["requests"] as? [[String: Any]])
        return try requests.map { request in
            let headers = try #require(request["headers"] as? [String: String])
            let claims = try #require(request["claims"] as? [String: Any])
            return DTRequest(
                source: try #require(request["source"] as? String),
                signature: try #require(headers["X-Dt-Signature"]),
                body: Array(try #require(request["body"] as? String).utf8),
                iat: try #require((claims["iat"] as? NSNumber)?.int64Value),
                exp: try #require((claims["exp"] as? NSNumber)?.int64Value)
            )
        }
    }
}

extension Array where Element == UInt8 {
    /// Bytes from a hex string; traps on malformed test data.
    public init(hex: String) {
        let digits = Array(hex.utf8)
        precondition(digits.count % 2 == 0, "odd-length hex in test data")
        self = stride(from: 0, to: digits.count, by: 2).map { index in
            UInt8(JSONReader.hexValue(digits[index]) << 4 | JSONReader.hexValue(digits[index + 1]))
        }
    }
}
