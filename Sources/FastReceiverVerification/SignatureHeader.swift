/// What a request carried in `X-Dt-Signature`: the verifier needs to know about zero or several
/// such headers, not just the first.
public enum SignatureHeader {
    /// No `X-Dt-Signature` header.
    case missing
    /// Exactly one, with its value (OWS trimmed).
    case single(UnsafeRawBufferPointer)
    /// More than one: ambiguous, refused.
    case repeated
}
