/// Why a byte sequence is not the JSON object the reader expected. Carries offsets, never content.
public enum JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes break JSON's grammar (RFC 8259) at this offset.
    case syntax(offset: Int)
    /// Objects and arrays are nested deeper than the reader allows.
    case tooDeep(limit: Int)
    /// The top-level value is not an object.
    case notAnObject
    /// The top-level object has more members than the reader tracks.
    case tooManyMembers(limit: Int)
    /// The top-level object names the same key twice (after unescaping).
    case duplicateKey(offset: Int)

    public var description: String {
        switch self {
        case .syntax(let offset): "invalid JSON at byte \(offset)"
        case .tooDeep(let limit): "JSON nested deeper than \(limit) levels"
        case .notAnObject: "JSON value is not an object"
        case .tooManyMembers(let limit): "JSON object has more than \(limit) members"
        case .duplicateKey(let offset): "JSON object repeats a key at byte \(offset)"
        }
    }
}
