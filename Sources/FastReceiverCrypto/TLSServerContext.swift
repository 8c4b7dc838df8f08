internal import COpenSSL
public import FastReceiverSystem
internal import Glibc

/// The HTTPS server's OpenSSL context: one certificate chain and key, FastReceiver's fixed TLS
/// policy, and the session-resumption state that connections made from it share.
///
/// The policy is not configurable, because DT needs nothing else: TLS 1.2 and 1.3 only; for
/// TLS 1.2 the forward-secret AEAD suites of Mozilla's "intermediate" profile (ECDHE with
/// AES-GCM or ChaCha20-Poly1305), for TLS 1.3 OpenSSL's defaults (all of them AEAD and forward
/// secret); key exchange over X25519 or P-256; the client's suite order (every suite on offer is
/// strong, and a phone without AES hardware prefers ChaCha20); no renegotiation, no compression;
/// ALPN `http/1.1`, and a fatal `no_application_protocol` alert for a client whose ALPN list
/// lacks it (RFC 7301 §3.2).
///
/// Resumption works two ways, so that every client gets one: stateless session tickets sealed
/// with a key that rotates every `sessionLifetime` (the previous key still opens tickets, so a
/// key outlives every ticket it sealed and no key lives longer than twice the lifetime), and a
/// server-side cache of at most `sessionCacheCapacity` sessions for clients that refuse tickets.
/// Both belong to this context: a context made from reloaded files starts both afresh.
///
/// Reload: build a new context from the new files and hand it to new connections; a
/// `TLSConnection` keeps the context it was made from alive, so open connections are untouched.
/// One context may be shared by every worker thread: OpenSSL locks its session cache and this
/// type locks the ticket keys, and nothing else changes after `init`.
public final class TLSServerContext: @unchecked Sendable {
    /// The largest certificate chain or key file read: far more than any real chain.
    public static let fileSizeLimit = 1 << 20

    /// The leaf certificate's subject in RFC 2253 form, e.g. `CN=receiver.example.com`, for logs.
    public let certificateSubject: String
    /// The leaf certificate's notAfter in Unix seconds, for logs and a certificate-expiry metric.
    public let certificateNotAfter: Int64
    /// How many certificates the chain file held, the leaf included.
    public let certificateChainLength: Int

    /// The `fr_tls_server` bundle: SSL_CTX, ticket keys and socket BIO method.
    let server: UnsafeMutableRawPointer

    /// Loads a certificate chain and its private key.
    ///
    /// An expired certificate loads: whether to serve it is the caller's decision (see
    /// `isCertificateExpired(now:)`), since refusing would turn an expired certificate, which a
    /// client may still accept, into an outage.
    ///
    /// - Parameters:
    ///   - certificateChainFile: a PEM file, the leaf first, then its intermediates; other PEM
    ///     blocks (a key in the same file) are skipped.
    ///   - privateKeyFile: a PEM private key (PKCS#8, or traditional EC or RSA), not encrypted;
    ///     may be the same file as the chain.
    ///   - sessionCacheCapacity: sessions the server-side cache holds; default 20 000.
    ///   - sessionLifetime: seconds a session can be resumed, and the ticket key's rotation
    ///     interval; default 43 200 (12 hours).
    /// - Throws: `TLSContextError` saying which file is wrong and how.
    public init(
        certificateChainFile: String,
        privateKeyFile: String,
        sessionCacheCapacity: Int = 20_000,
        sessionLifetime: Int = 43_200
    ) throws(TLSContextError) {
        precondition(sessionCacheCapacity > 0 && sessionLifetime > 0, "a session cache holds at least one session for at least a second")
        let chain = try Self.readFile(certificateChainFile, as: .certificate)
        var key = try Self.readFile(privateKeyFile, as: .privateKey)
        defer { key.withUnsafeMutableBytes { fr_cleanse($0.baseAddress, $0.count) } }
        guard let server = fr_tls_server_new(sessionCacheCapacity, sessionLifetime) else {
            throw TLSContextError(.openSSL, "OpenSSL cannot create a TLS context: \(CryptoError("SSL_CTX_new")).")
        }
        var isComplete = false
        defer { if !isComplete { fr_tls_server_free(server) } }

        var count: Int32 = 0
        let chainResult = chain.withUnsafeBytes { fr_tls_server_use_certificate_chain(server, $0.baseAddress, $0.count, &count) }
        guard Int(chainResult) == FR_TLS_LOAD_OK else {
            throw TLSContextError.loading(.certificate, path: certificateChainFile, code: chainResult)
        }
        let keyResult = key.withUnsafeBytes { fr_tls_server_use_private_key(server, $0.baseAddress, $0.count) }
        guard Int(keyResult) != FR_TLS_LOAD_KEY_MISMATCH else {
            _ = CryptoError("X509_check_private_key") // empties the error queue
            throw TLSContextError(.keyMismatch, "The TLS private key in \(privateKeyFile) does not belong to the certificate in \(certificateChainFile).")
        }
        guard Int(keyResult) == FR_TLS_LOAD_OK else {
            throw TLSContextError.loading(.privateKey, path: privateKeyFile, code: keyResult)
        }

        var notAfter: Int64 = 0
        guard fr_tls_server_leaf_not_after(server, &notAfter) == 1 else {
            throw TLSContextError(.refused, "The certificate in \(certificateChainFile) has an unreadable expiry date: \(CryptoError("ASN1_TIME_to_tm")).")
        }
        var subject = [CChar](repeating: 0, count: 1024)
        let subjectLength = subject.withUnsafeMutableBufferPointer { fr_tls_server_leaf_subject(server, $0.baseAddress, $0.count) }
        self.certificateSubject = subjectLength > 0
            ? String(decoding: subject.prefix(Int(subjectLength)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : ""
        self.certificateNotAfter = notAfter
        self.certificateChainLength = Int(count)
        self.server = server
        isComplete = true
    }

    deinit {
        fr_tls_server_free(server)
    }

    /// Whether the leaf certificate has expired at `now` (Unix seconds).
    public func isCertificateExpired(now: Int64 = UnixTime.now()) -> Bool {
        now > certificateNotAfter
    }

    /// Replaces the session-ticket key now, keeping the one it replaces for tickets already out.
    ///
    /// Keys also rotate by themselves every `sessionLifetime`; call this to retire a key sooner.
    /// Two calls in a row retire every ticket issued before the first.
    /// - Throws: `CryptoError` when OpenSSL cannot make a random key (the old keys stay).
    public func rotateTicketKeys() throws(CryptoError) {
        guard fr_tls_server_rotate_ticket_keys(server, 0) == 1 else { throw CryptoError("RAND_bytes") }
    }

    /// Sessions in the server-side cache right now.
    public var cachedSessionCount: Int {
        fr_tls_server_cached_sessions(server)
    }

    /// Reads a whole file of at most `fileSizeLimit` bytes.
    private static func readFile(_ path: String, as file: TLSContextError.File) throws(TLSContextError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw TLSContextError(.unreadable, "The TLS \(file.rawValue) \(path) cannot be read: \(String(cString: strerror(errno))).")
        }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: fileSizeLimit + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress.map { $0 + count }, $0.count - count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw TLSContextError(.unreadable, "The TLS \(file.rawValue) \(path) cannot be read: \(String(cString: strerror(errno))).")
            }
            count += n
        }
        guard count <= fileSizeLimit else {
            throw TLSContextError(.unreadable, "The TLS \(file.rawValue) \(path) is larger than \(fileSizeLimit >> 20) MiB, which no \(file.content) is.")
        }
        bytes.removeSubrange(count...)
        return bytes
    }
}
