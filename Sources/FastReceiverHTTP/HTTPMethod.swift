/// The request method, reduced to the ones a router distinguishes.
///
/// Methods are case-sensitive tokens (RFC 9110 §9.1): `get` is not `GET`, so it is `.other`.
/// Any other well-formed token, `CONNECT` and `TRACE` included, is `.other` as well; the router
/// answers those with 405 instead of the parser refusing them.
public enum HTTPMethod: Sendable, Equatable {
    case get
    case head
    case post
    case put
    case delete
    case options
    case patch
    case other
}
