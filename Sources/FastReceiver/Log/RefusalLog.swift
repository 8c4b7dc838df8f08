import Logging

/// Logs refused requests with their reason and peer, at most `perSecond` a second per worker,
/// so a flood of bad requests cannot flood the log; the count of lines left out is reported
/// with the next one written.
struct RefusalLog {
    let logger: Logger
    let perSecond: Int
    private var second = 0
    private var written = 0
    private var suppressed = 0

    init(logger: Logger, perSecond: Int = 10) {
        self.logger = logger
        self.perSecond = perSecond
    }

    /// Whether a refusal at `nowSeconds` may be logged (call `log` if so).
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

    mutating func log(status: Int, reason: String, peer: String) {
        var metadata: Logger.Metadata = ["status": "\(status)", "reason": "\(reason)", "peer": "\(peer)"]
        if suppressed > 0 {
            metadata["suppressed"] = "\(suppressed)"
            suppressed = 0
        }
        logger.info("refused request", metadata: metadata)
    }
}
