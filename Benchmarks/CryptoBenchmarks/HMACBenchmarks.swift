import Benchmark
import Crypto
import FastReceiverCrypto

/// HMAC-SHA256, the token signature, at each payload size: OpenSSL through a context keyed once
/// (what the verifier does per request), OpenSSL's one-shot `HMAC()` (key set up on every call),
/// and swift-crypto's `HMAC<SHA256>` (likewise).
func registerHMACBenchmarks() {
    let key = Array(Payload.secret.utf8)
    let symmetricKey = SymmetricKey(data: key)

    for size in Payload.sizes {
        let message = Payload.bytes(size)

        Benchmark("HMAC-SHA256.OpenSSL-context.\(size)B") { benchmark, context in
            try message.withUnsafeBytes { data in
                for _ in benchmark.scaledIterations {
                    blackHole(try context.authenticationCode(for: data))
                }
            }
        } setup: {
            try HMACSHA256Context(key: key)
        }

        Benchmark("HMAC-SHA256.OpenSSL-one-shot.\(size)B") { benchmark in
            try key.withUnsafeBytes { keyBytes in
                try message.withUnsafeBytes { data in
                    for _ in benchmark.scaledIterations {
                        blackHole(try OpenSSLDigest.hmacSHA256(key: keyBytes, data: data))
                    }
                }
            }
        }

        Benchmark("HMAC-SHA256.swift-crypto.\(size)B") { benchmark in
            message.withUnsafeBytes { data in
                for _ in benchmark.scaledIterations {
                    blackHole(HMAC<SHA256>.authenticationCode(for: data, using: symmetricKey))
                }
            }
        }
    }
}
