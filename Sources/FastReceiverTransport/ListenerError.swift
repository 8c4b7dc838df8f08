/// Why the server cannot listen where it was asked to. The description is one sentence for the
/// operator, naming the address and what to change.
public struct ListenerError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
