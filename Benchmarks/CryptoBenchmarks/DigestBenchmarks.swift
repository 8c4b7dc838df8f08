import Benchmark
import Crypto
import FastReceiverCrypto

/// SHA-256 and SHA-1, the body checksums, at each payload size: OpenSSL through a reused
/// `DigestContext` (what the verifier does per request), OpenSSL's one-shot `SHA256()`/`SHA1()`,
/// and swift-crypto's `hash(data:)`.
func registerDigestBenchmarks() {
    for size in Payload.sizes {
        let message = Payload.bytes(size)
        registerOpenSSLDigest("SHA-256", .sha256, oneShot: OpenSSLDigest.sha256, message: message)
        registerSwiftCryptoDigest("SHA-256", SHA256.self, message: message)
        registerOpenSSLDigest("SHA-1", .sha1, oneShot: OpenSSLDigest.sha1, message: message)
        registerSwiftCryptoDigest("SHA-1", Insecure.SHA1.self, message: message)
    }
}

/// `Output` is FastReceiver's `Digest`, which this file cannot spell beside swift-crypto's
/// protocol of the same name.
private func registerOpenSSLDigest<Output>(
    _ name: String,
    _ algorithm: DigestContext.Algorithm,
    oneShot: @escaping (UnsafeRawBufferPointer) throws -> Output,
    message: [UInt8]
) {
    Benchmark("\(name).OpenSSL-context.\(message.count)B") { benchmark, context in
        try message.withUnsafeBytes { data in
            for _ in benchmark.scaledIterations {
                blackHole(try context.hash(data))
            }
        }
    } setup: {
        try DigestContext(algorithm)
    }

    Benchmark("\(name).OpenSSL-one-shot.\(message.count)B") { benchmark in
        try message.withUnsafeBytes { data in
            for _ in benchmark.scaledIterations {
                blackHole(try oneShot(data))
            }
        }
    }
}

private func registerSwiftCryptoDigest<Hash: HashFunction>(_ name: String, _: Hash.Type, message: [UInt8]) {
    Benchmark("\(name).swift-crypto.\(message.count)B") { benchmark in
        message.withUnsafeBytes { data in
            for _ in benchmark.scaledIterations {
                blackHole(Hash.hash(data: data))
            }
        }
    }
}
