public import Foundation
internal import Testing

/// A private CA and the server certificates tests need, made with the `openssl` command line in
/// a temporary directory of their own (removed when this value goes away).
///
/// P-256 keys throughout. A root CA signs an intermediate, which signs the leaves, as a public CA
/// does; clients trust the root only, so a client verifies only if the server sends the
/// intermediate. The leaf is for `127.0.0.1` (an IP SAN, plus `DNS:localhost`), valid from a
/// day ago for 90 days (short enough for Mozilla's lifespan rule, which sslyze checks).
public final class TLSTestCertificates {
    /// The expired leaf's notAfter, 2020-01-02T00:00:00Z, in Unix seconds.
    public static let expiredNotAfter: Int64 = 1_577_923_200

    public let directory: URL
    /// The leaf's notAfter in Unix seconds.
    public let leafNotAfter: Int64

    /// The root CA certificate clients trust.
    public var caFile: String { path("ca.pem") }
    /// The leaf, then the intermediate: what a server sends.
    public var chainFile: String { path("chain.pem") }
    /// The leaf alone, without the intermediate clients need.
    public var leafFile: String { path("leaf.pem") }
    /// The leaf's key.
    public var keyFile: String { path("leaf-key.pem") }
    /// A leaf for the same key that expired on 2020-01-02, then the intermediate.
    public var expiredChainFile: String { path("expired-chain.pem") }
    /// A P-256 key that belongs to no certificate here.
    public var otherKeyFile: String { path("other-key.pem") }

    public init() throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("fast-receiver-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("issued"), withIntermediateDirectories: true)
        try Data(Self.caConfiguration.utf8).write(to: directory.appendingPathComponent("ca.cnf"))
        try Data().write(to: directory.appendingPathComponent("index.txt"))
        let now = Int64(Date().timeIntervalSince1970)
        leafNotAfter = now + 90 * 86_400

        let newKey = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"]
        for key in ["ca-key.pem", "intermediate-key.pem", "leaf-key.pem", "other-key.pem"] {
            try openssl(newKey + [key])
        }
        try openssl(["req", "-x509", "-new", "-key", "ca-key.pem", "-subj", "/CN=FastReceiver Test Root CA", "-days", "3650",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.pem"])
        try openssl(["req", "-new", "-key", "intermediate-key.pem", "-subj", "/CN=FastReceiver Test Intermediate CA", "-out", "intermediate.csr"])
        try openssl(["ca", "-config", "ca.cnf", "-batch", "-notext", "-extensions", "intermediate", "-cert", "ca.pem", "-keyfile", "ca-key.pem",
                     "-in", "intermediate.csr", "-startdate", Self.openSSLTime(now - 86_400), "-enddate", Self.openSSLTime(now + 3650 * 86_400),
                     "-out", "intermediate.pem"])
        try openssl(["req", "-new", "-key", "leaf-key.pem", "-subj", "/CN=127.0.0.1", "-out", "leaf.csr"])
        let sign = ["ca", "-config", "ca.cnf", "-batch", "-notext", "-extensions", "leaf", "-cert", "intermediate.pem",
                    "-keyfile", "intermediate-key.pem", "-in", "leaf.csr"]
        try openssl(sign + ["-startdate", Self.openSSLTime(now - 86_400), "-enddate", Self.openSSLTime(leafNotAfter), "-out", "leaf.pem"])
        try openssl(sign + ["-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-out", "expired.pem"])
        let intermediate = try Data(contentsOf: URL(fileURLWithPath: path("intermediate.pem")))
        try (Data(contentsOf: URL(fileURLWithPath: leafFile)) + intermediate).write(to: URL(fileURLWithPath: chainFile))
        try (Data(contentsOf: URL(fileURLWithPath: path("expired.pem"))) + intermediate).write(to: URL(fileURLWithPath: expiredChainFile))
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Makes a leaf with an RSA 2048 key (for the ECDHE-RSA suites, and RSA key exchange to
    /// refuse), signed by the same intermediate. Returns its chain file and key file.
    public func makeRSALeaf() throws -> (chainFile: String, keyFile: String) {
        try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa-key.pem"])
        try openssl(["req", "-new", "-key", "rsa-key.pem", "-subj", "/CN=127.0.0.1", "-out", "rsa.csr"])
        try openssl(["ca", "-config", "ca.cnf", "-batch", "-notext", "-extensions", "leaf", "-cert", "intermediate.pem",
                     "-keyfile", "intermediate-key.pem", "-in", "rsa.csr", "-days", "90", "-out", "rsa.pem"])
        let chain = try Data(contentsOf: URL(fileURLWithPath: path("rsa.pem"))) + Data(contentsOf: URL(fileURLWithPath: path("intermediate.pem")))
        return (try write("rsa-chain.pem", chain), path("rsa-key.pem"))
    }

    /// A file in this directory.
    public func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// Writes `contents` to a new file here and returns its path.
    public func write(_ name: String, _ contents: Data) throws -> String {
        try contents.write(to: directory.appendingPathComponent(name))
        return path(name)
    }

    /// Runs `openssl` in this directory; throws with its standard error when it fails.
    private func openssl(_ arguments: [String]) throws {
        let result = try ToolProcess.run(["openssl"] + arguments, directory: directory.path, timeout: 60)
        guard result.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.first ?? "") failed: \(result.standardError)"])
        }
    }

    /// `seconds` since 1970 as `openssl ca` takes a date: `YYYYMMDDHHMMSSZ`.
    private static func openSSLTime(_ seconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// A minimal `openssl ca` setup that issues an intermediate CA and server certificates with
    /// the given dates.
    private static let caConfiguration = """
        [ca]
        default_ca = test_ca
        [test_ca]
        database = index.txt
        new_certs_dir = issued
        rand_serial = yes
        default_md = sha256
        policy = any
        unique_subject = no
        email_in_dn = no
        [any]
        commonName = supplied
        [intermediate]
        basicConstraints = critical,CA:TRUE,pathlen:0
        keyUsage = critical,keyCertSign,cRLSign
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid
        [leaf]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = IP:127.0.0.1,DNS:localhost
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid

        """
}
