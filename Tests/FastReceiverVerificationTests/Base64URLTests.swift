import FastReceiverTestSupport
import Testing

@testable import FastReceiverVerification

@Suite struct Base64URLTests {
    /// RFC 4648 §10, in the URL alphabet without padding.
    static let vectors = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")]

    @Test("RFC 4648 vectors encode and decode", arguments: vectors)
    func vector(_ plain: String, _ encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(decodeBase64URL(encoded) == Array(plain.utf8))
    }

    @Test("The URL alphabet's two extra characters round-trip")
    func urlAlphabet() {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF]
        #expect(Base64URL.encode(bytes) == "-_-_")
        #expect(decodeBase64URL("-_-_") == bytes)
    }

    @Test("Anything but strict unpadded base64url is refused", arguments: ["Zg==", "Zm9v=", "Zm+v", "Zm/v", "Zm9 v", "Z", "Zm9vY", "Zh", "Zm9", "Zm8\n", "Zm\u{0}8"])
    func refused(_ text: String) {
        #expect(decodeBase64URL(text) == nil)
    }

    @Test("Output that would not fit is refused, not truncated")
    func tooSmall() {
        var output = [UInt8](repeating: 0, count: 2)
        let count = Array("Zm9v".utf8).withUnsafeBytes { input in output.withUnsafeMutableBytes { Base64URL.decode(input, into: $0) } }
        #expect(count == nil)
    }
}
