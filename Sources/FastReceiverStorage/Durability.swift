/// When a 200 may be sent for a stored event.
public enum Durability: String, Sendable, CaseIterable {
    /// After `fdatasync`: survives power loss.
    case fsync
    /// After `write`: survives a crash of this process, not of the machine.
    case write
}
