/// Why the journal cannot open its directory. The description is one sentence for the operator;
/// it names the directory, which is never secret.
public enum JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The directory does not exist and cannot be created.
    case directoryNotCreatable(String)
    /// The directory exists but this process cannot write to it.
    case directoryNotWritable(String)

    public var description: String {
        switch self {
        case .directoryNotCreatable(let path): "The journal directory \(path) cannot be created; check DATA_DIR and its permissions."
        case .directoryNotWritable(let path): "The journal directory \(path) is not writable; check its permissions."
        }
    }
}
