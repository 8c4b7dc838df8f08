public import Logging

/// Logs refused requests with their reason and peer, at most `perSecond` a second per worker,
/// so a flood of bad requests cannot flood the log; the count of lines left out is reported
/// with the next one written.
@usableFromInline
struct RefusalLog {
    let logger: Logger
    let perSecond: Int
    private var second = 0
    private var written = 0
    private var suppressed = 0

    @usableFromInline
    init(logger: Logger, perSecond: Int = 10) {
        self.logger = logger
        self.perSecond = perSecond
    }

    /// Whether a refusal at `nowSeconds` may be logged (call `log` if so).
    @usableFromInline
    mutating func admit(nowSeconds: Int) -> Bool {
        if nowSeconds != second {
            second = nowSeconds
            written = 0
        }
        guard written < perSecond else {
            suppressed += 1
            return false
        }
        written += 1
        return true
    }

    /// - Parameters:
    ///   - reason: what the client was told.
    ///   - detail: what only the log is told (e.g. OpenSSL's error behind a 500).
    @usableFromInline
    mutating func log(status: Int, reason: String, detail: String? = nil, peer: String) {
        var metadata: Logger.Metadata = ["status": "\(status)", "reason": "\(reason)", "peer": "\(peer)"]
        if let detail { metadata["detail"] = "\(detail)" }
        if suppressed > 0 {
            metadata["suppressed"] = "\(suppressed)"
            suppressed = 0
        }
        // A 500 is this receiver's own failure, not the client's.
        logger.log(level: status == 500 ? .error : .info, "refused request", metadata: metadata)
    }
}
