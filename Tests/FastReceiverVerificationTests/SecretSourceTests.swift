import Foundation
import Testing

@testable import FastReceiverVerification

@Suite struct SecretSourceTests {
    static func load(file: String? = nil, environment: [String: String] = [:]) throws -> [SignatureSecret] {
        guard let file else { return try SecretSource(secretFile: nil, environment: environment).load() }
        let path = NSTemporaryDirectory() + "fast-receiver-secrets-\(UUID().uuidString)"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(file.utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try SecretSource(secretFile: path, environment: environment).load()
    }

    @Test("The environment and a file give the same secret: surrounding whitespace, a trailing newline included, is removed from both")
    func sameRuleForBoth() throws {
        let expected = [SignatureSecret("s3cret value")!]
        for written in ["s3cret value", "s3cret value\n", " s3cret value\t", "s3cret value\r\n", "\ns3cret value \n"] {
            #expect(try Self.load(environment: ["DT_SIGNATURE_SECRET": written]) == expected, "\(written.debugDescription)")
            #expect(try Self.load(file: written) == expected, "\(written.debugDescription)")
        }
        #expect(try Self.load(environment: ["DT_SIGNATURE_SECRET": "new\n", "DT_SIGNATURE_SECRET_PREVIOUS": " old "])
                == [SignatureSecret("new")!, SignatureSecret("old")!])
        #expect(try Self.load(file: "new \r\n\n  old\n") == [SignatureSecret("new")!, SignatureSecret("old")!])
    }

    @Test("A secret that is only whitespace counts as missing")
    func blankSecrets() throws {
        #expect(throws: SecretSourceError.missingFromEnvironment) {
            try Self.load(environment: ["DT_SIGNATURE_SECRET": " \n"])
        }
        #expect(SecretSourceError.missingFromEnvironment.description
                == "DT_SIGNATURE_SECRET is missing or empty (whitespace alone counts as empty); set it to the Data Connector's signature secret, or pass --secret-file.")
        #expect(throws: SecretSourceError.self) { try Self.load(file: " \n\t\n") }
        #expect(try Self.load(environment: ["DT_SIGNATURE_SECRET": "s", "DT_SIGNATURE_SECRET_PREVIOUS": "\n"]) == [SignatureSecret("s")!])
    }
}
