import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiverCrypto

/// Loading a certificate chain and key: what loads, what is read from it, and the typed error
/// for each way the files can be wrong.
@Suite struct TLSServerContextTests {
    let certificates: TLSTestCertificates

    init() throws {
        certificates = try TLSTestCertificates()
    }

    @Test("A chain and its key load; subject, chain length and notAfter are read from the leaf")
    func loadsChain() throws {
        let context = try TLSServerContext(certificateChainFile: certificates.chainFile, privateKeyFile: certificates.keyFile)
        #expect(context.certificateSubject == "CN=127.0.0.1")
        #expect(context.certificateChainLength == 2)
        #expect(context.certificateNotAfter == certificates.leafNotAfter)
        #expect(!context.isCertificateExpired(now: certificates.leafNotAfter))
        #expect(context.isCertificateExpired(now: certificates.leafNotAfter + 1))
        #expect(!context.isCertificateExpired())
    }

    @Test("A leaf alone is a chain of one")
    func loadsLeafAlone() throws {
        let context = try TLSServerContext(certificateChainFile: certificates.leafFile, privateKeyFile: certificates.keyFile)
        #expect(context.certificateChainLength == 1)
    }

    @Test("An expired certificate loads, and says it has expired")
    func expiredLoads() throws {
        let context = try TLSServerContext(certificateChainFile: certificates.expiredChainFile, privateKeyFile: certificates.keyFile)
        #expect(context.certificateNotAfter == TLSTestCertificates.expiredNotAfter)
        #expect(context.isCertificateExpired())
    }

    @Test("Certificate and key in one file, in either order: each load skips the other's PEM block")
    func combinedFile() throws {
        let key = try Data(contentsOf: URL(fileURLWithPath: certificates.keyFile))
        let chain = try Data(contentsOf: URL(fileURLWithPath: certificates.chainFile))
        for (name, contents) in [("key-first.pem", key + chain), ("chain-first.pem", chain + key)] {
            let path = try certificates.write(name, contents)
            let context = try TLSServerContext(certificateChainFile: path, privateKeyFile: path)
            #expect(context.certificateChainLength == 2)
        }
    }

    @Test("A key that belongs to another certificate is refused, naming both files")
    func keyMismatch() throws {
        let error = try #require(throws: TLSContextError.self) {
            try TLSServerContext(certificateChainFile: certificates.chainFile, privateKeyFile: certificates.otherKeyFile)
        }
        #expect(error.kind == .keyMismatch)
        #expect(error.description.contains(certificates.otherKeyFile) && error.description.contains(certificates.chainFile))
    }

    @Test("Missing files are unreadable, naming the file and the reason")
    func missingFiles() throws {
        let missing = certificates.path("missing.pem")
        let noChain = try #require(throws: TLSContextError.self) {
            try TLSServerContext(certificateChainFile: missing, privateKeyFile: certificates.keyFile)
        }
        #expect(noChain.kind == .unreadable)
        #expect(noChain.description == "The TLS certificate file \(missing) cannot be read: No such file or directory.")
        let noKey = try #require(throws: TLSContextError.self) {
            try TLSServerContext(certificateChainFile: certificates.chainFile, privateKeyFile: missing)
        }
        #expect(noKey.kind == .unreadable)
        #expect(noKey.description.hasPrefix("The TLS private key file \(missing) cannot be read"))
    }

    @Test("A directory in place of a file is unreadable")
    func directoryIsUnreadable() throws {
        let error = try #require(throws: TLSContextError.self) {
            try TLSServerContext(certificateChainFile: certificates.directory.path, privateKeyFile: certificates.keyFile)
        }
        #expect(error.kind == .unreadable)
    }

    @Test("A file larger than any chain is refused before it is parsed")
    func oversizedFile() throws {
        let path = try certificates.write("huge.pem", Data(repeating: 0x41, count: TLSServerContext.fileSizeLimit + 1))
        let error = try #require(throws: TLSContextError.self) {
            try TLSServerContext(certificateChainFile: path, privateKeyFile: certificates.keyFile)
        }
        #expect(error.kind == .unreadable)
    }

    @Test("An empty chain, a DER certificate and a key in the certificate's place hold no PEM certificate",
          arguments: ["empty", "der", "key"])
    func noPEMCertificate(_ variant: String) throws {
        let contents: Data
        switch variant {
        case "empty":
            contents = Data()
        case "der":
            let der = try ToolProcess.run(["openssl", "x509", "-in", certificates.leafFile, "-outform", "DER", "-out", certificates.path("leaf.der")])
            try #require(der.status == 0)
            contents = try Data(contentsOf: URL(fileURLWithPath: certificates.path("leaf.der")))
        default:
            contents = try Data(contentsOf: URL(fileURLWithPath: certificates.keyFile))
        }
        let path = try certificates.write("\(variant).pem", contents)
        let error = try #require(throws: TLSContextError.self) {
            try TLSServerContext(certificateChainFile: path, privateKeyFile: certificates.keyFile)
        }
        #expect(error.kind == .notPEM)
        #expect(error.description == "The TLS certificate file \(path) holds no PEM certificate.")
    }

    @Test("A certificate or an empty file in the key's place holds no PEM private key")
    func noPEMKey() throws {
        for path in [certificates.leafFile, try certificates.write("empty-key.pem", Data())] {
            let error = try #require(throws: TLSContextError.self) {
                try TLSServerContext(certificateChainFile: certificates.chainFile, privateKeyFile: path)
            }
            #expect(error.kind == .notPEM)
            #expect(error.description == "The TLS private key file \(path) holds no PEM private key.")
        }
    }

    @Test("A PEM key block with a corrupt body cannot be decoded")
    func corruptKey() throws {
        let path = try certificates.write("corrupt-key.pem", Data("-----BEGIN PRIVATE KEY-----\nMIGH@@@@\n-----END PRIVATE KEY-----\n".utf8))
        let error = try #require(throws: TLSContextError.self) {
            try TLSServerContext(certificateChainFile: certificates.chainFile, privateKeyFile: path)
        }
        #expect(error.kind == .undecodable)
        #expect(error.description.hasPrefix("The TLS private key file \(path) holds a PEM private key that OpenSSL cannot decode"))
    }

    @Test("A PEM certificate block with a corrupt body cannot be decoded")
    func corruptCertificate() throws {
        let path = try certificates.write("corrupt.pem", Data("-----BEGIN CERTIFICATE-----\nMIIB!!!!notbase64\n-----END CERTIFICATE-----\n".utf8))
        let error = try #require(throws: TLSContextError.self) {
            try TLSServerContext(certificateChainFile: path, privateKeyFile: certificates.keyFile)
        }
        #expect(error.kind == .undecodable)
        #expect(error.description.hasPrefix("The TLS certificate file \(path) holds a PEM certificate that OpenSSL cannot decode"))
    }

    @Test("A certificate whose key is too weak for OpenSSL's security level 2 is refused")
    func weakKeyRefused() throws {
        let made = try ToolProcess.run(["openssl", "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", certificates.path("weak-key.pem"),
                                        "-out", certificates.path("weak.pem"), "-subj", "/CN=weak", "-days", "1"])
        try #require(made.status == 0, "\(made.standardError)")
        let error = try #require(throws: TLSContextError.self) {
            try TLSServerContext(certificateChainFile: certificates.path("weak.pem"), privateKeyFile: certificates.path("weak-key.pem"))
        }
        #expect(error.kind == .refused)
        #expect(error.description.hasPrefix("OpenSSL refuses the PEM certificate in \(certificates.path("weak.pem")): "))
        #expect(error.description.contains("key too small"), "\(error)")
    }

    @Test("An encrypted key is refused without asking for a passphrase")
    func encryptedKey() throws {
        let path = certificates.path("encrypted-key.pem")
        let encrypt = try ToolProcess.run(["openssl", "pkcs8", "-topk8", "-in", certificates.keyFile, "-out", path, "-passout", "pass:secret"])
        try #require(encrypt.status == 0, "\(encrypt.standardError)")
        let error = try #require(throws: TLSContextError.self) {
            try TLSServerContext(certificateChainFile: certificates.chainFile, privateKeyFile: path)
        }
        #expect(error.kind == .undecodable)
        #expect(error.description == "The TLS private key file \(path) holds an encrypted key; give FastReceiver the key unencrypted, readable only by its user.")
        #expect(!error.description.contains("secret"))
    }

    @Test("A failed load leaves nothing on this thread's OpenSSL error queue")
    func errorQueueIsEmptied() throws {
        _ = try? TLSServerContext(certificateChainFile: certificates.chainFile, privateKeyFile: certificates.otherKeyFile)
        #expect(CryptoError("probe").reasons.isEmpty)
        let path = try certificates.write("corrupt.pem", Data("-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n".utf8))
        _ = try? TLSServerContext(certificateChainFile: path, privateKeyFile: certificates.keyFile)
        #expect(CryptoError("probe").reasons.isEmpty)
    }
}
