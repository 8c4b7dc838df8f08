/// What a load run did: requests sent, answers by status, failures and latency.
///
/// Every request sent ends as exactly one of: an answer (counted by status), a connection error,
/// or a timeout at the end of the run.
public struct LoadReport: Sendable, Equatable {
    public var plan: LoadPlan
    /// Requests sent (or, for a connection that failed, attempted).
    public var sent: Int
    /// Answers by HTTP status code.
    public var statuses: [Int: Int]
    /// Requests that got no answer because their connection failed (refused, reset, closed early,
    /// unreadable response).
    public var connectionErrors: Int
    /// Requests still unanswered when the answer timeout ran out.
    public var timeouts: Int
    /// Requests that resent an event already sent, because signing fell behind (see `SignedRequestSupply`).
    public var redelivered: Int
    /// Seconds from the start of the clock to the last answer (or failure).
    public var seconds: Double
    /// Latency of every answer: open loop from its scheduled time, closed loop from its send.
    public var latency: LatencyPercentiles

    public init(plan: LoadPlan, sent: Int, statuses: [Int: Int], connectionErrors: Int, timeouts: Int, redelivered: Int,
                seconds: Double, latency: LatencyPercentiles) {
        self.plan = plan
        self.sent = sent
        self.statuses = statuses
        self.connectionErrors = connectionErrors
        self.timeouts = timeouts
        self.redelivered = redelivered
        self.seconds = seconds
        self.latency = latency
    }

    public var answered: Int { statuses.values.reduce(0, +) }
    public var successes: Int { statuses.filter { (200..<300).contains($0.key) }.values.reduce(0, +) }
    /// Answers per second.
    public var achievedRate: Double { seconds > 0 ? Double(answered) / seconds : 0 }
    /// Whether every request sent was answered 2xx (the exit status of `send`).
    public var isSuccess: Bool { sent > 0 && successes == sent }
}
