/// A value read when scraped, such as open connections or dedupe entries.
public struct Gauge: Sendable {
    public let name: String
    public let help: String
    public let read: @Sendable () -> Double

    public init(name: String, help: String, read: @escaping @Sendable () -> Double) {
        self.name = name
        self.help = help
        self.read = read
    }
}
