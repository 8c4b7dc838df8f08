public import FastReceiverCrypto

/// The verifier's verdict on one request.
public enum VerificationOutcome: Sendable, Equatable {
    /// DT Cloud signed this body with one of the configured secrets, and the token is current.
    case verified
    /// Refused, for exactly one reason.
    case rejected(SignatureRejection)
    /// OpenSSL failed, so the request could not be checked: this receiver's fault, not the
    /// sender's, and worth a retry.
    case failed(CryptoError)
}
