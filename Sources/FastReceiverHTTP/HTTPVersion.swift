/// The HTTP versions the parser accepts.
///
/// Only HTTP/1.0 and HTTP/1.1 frame messages the way this parser understands; any other
/// `HTTP/x.y` is refused with 505 (``HTTPParseError/unsupportedVersion``).
public enum HTTPVersion: Sendable, Equatable {
    case http10
    case http11
}
