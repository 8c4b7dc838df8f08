/// Why a request or a load run cannot be made as asked: a URL, host or plan the client cannot
/// use, or an answer it cannot read. The description is one sentence for the operator.
public struct ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
