/// A setting FastReceiver cannot start with. The description is one sentence for the operator;
/// it names the setting, never a secret's value.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
