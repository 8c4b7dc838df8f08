import Benchmark
import FastReceiverVerification

/// The whole check a worker runs on one 600-byte DT request: split and decode the token, pin
/// HS256, HMAC the signing input, read the claims, check `exp`/`iat` and compare the body's
/// SHA-256 with `checksum_sha256`.
func registerVerificationBenchmarks() {
    typealias Fixture = (verifier: SignatureVerifier, request: SignedDTRequest)

    Benchmark("Verify.DT-request.600B") { (benchmark: Benchmark, fixture: Fixture) in
        fixture.request.token.withUnsafeBytes { token in
            fixture.request.body.withUnsafeBytes { body in
                for _ in benchmark.scaledIterations {
                    blackHole(fixture.verifier.verify(.single(token), body: body, now: SignedDTRequest.issuedAt))
                }
            }
        }
    } setup: {
        guard let secret = SignatureSecret(Payload.secret) else { preconditionFailure("the benchmark secret is empty") }
        let request = SignedDTRequest(secret: Payload.secret)
        let verifier = try SignatureVerifier(secrets: [secret])
        // Only the accepting path is worth timing: a refused fixture would measure an early exit.
        let outcome = request.token.withUnsafeBytes { token in
            request.body.withUnsafeBytes { verifier.verify(.single(token), body: $0, now: SignedDTRequest.issuedAt) }
        }
        guard outcome == .verified else { throw FixtureRejected(outcome: outcome) }
        return (verifier, request)
    }
}

/// The verifier refused the signed fixture, so there is nothing valid to time.
private struct FixtureRejected: Error, CustomStringConvertible {
    let outcome: VerificationOutcome

    var description: String { "The signed DT request fixture was refused: \(outcome)." }
}
