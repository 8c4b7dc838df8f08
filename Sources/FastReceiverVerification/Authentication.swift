public import FastReceiverCrypto

/// The verifier's verdict on a request's token, decided from the head alone (DESIGN §2 rules 1–4
/// and 6): only the body's checksum (rule 5) is left for when the body has arrived.
public enum Authentication: Sendable, Equatable {
    /// Signed with a configured secret and current: the body must still match the checksum.
    case authenticated(ExpectedChecksum)
    /// Refused, for exactly one reason; the body need not be read.
    case rejected(SignatureRejection)
    /// OpenSSL failed, so the token could not be checked: this receiver's fault, not the sender's.
    case failed(CryptoError)
}
