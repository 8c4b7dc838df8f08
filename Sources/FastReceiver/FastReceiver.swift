/// FastReceiver's library: HTTP/1.1 parsing, the epoll server, DT signature verification,
/// the durable journal and metrics. The `fast-receiver` executable is a thin layer over it.
public enum FastReceiver {
    /// The version printed by `fast-receiver --version`.
    public static let version = "0.1.0"
}
