import Foundation
import Testing
@testable import FastReceiver

/// Test fixtures shipped in `Tests/FastReceiverTests/Fixtures` (see its README for sources).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func data(_ path: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(path))
    }

    static func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data(path)) as? [String: Any])
    }

    /// One of DT's real signed sample requests.
    struct DTRequest: Sendable, CustomTestStringConvertible {
        let source: String
        let signature: String
        let body: [UInt8]
        let iat: Int64
        let exp: Int64
        var testDescription: String { source }
    }

    static let dtSecret = "test-secret"

    static func dtRequests() throws -> [DTRequest] {
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
    init(hex: String) {
        let digits = Array(hex.utf8)
        precondition(digits.count % 2 == 0, "odd-length hex in test data")
        self = stride(from: 0, to: digits.count, by: 2).map { index in
            UInt8(JSONReader.hexValue(digits[index]) << 4 | JSONReader.hexValue(digits[index + 1]))
        }
    }
}
