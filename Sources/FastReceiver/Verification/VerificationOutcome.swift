/// The verifier's verdict on one request.
public enum VerificationOutcome: Sendable, Equatable {
    /// DT Cloud signed this body with one of the configured secrets, and the token is current.
    case verified
    /// Refused, for exactly one reason.
    case rejected(SignatureRejection)
}
