import Testing

@testable import FastReceiverHTTP

/// The one case-insensitive comparison that header names, tokens and codings go through.
@Suite struct CaseInsensitiveComparisonTests {
    func equals(_ text: String, _ literal: StaticString) -> Bool {
        Array(text.utf8).withUnsafeBytes { $0.equalsIgnoringCase($0.indices, literal) }
    }

    @Test("ASCII letters match in either case, on either side")
    func lettersIgnoreCase() {
        #expect(equals("content-length", "Content-Length"))
        #expect(equals("CONTENT-LENGTH", "content-length"))
        #expect(equals("X-Dt-Signature", "x-dt-SIGNATURE"))
        #expect(!equals("content-lengt", "content-length"))
        #expect(!equals("content-lengths", "content-length"))
    }

    @Test("Bytes that differ only in the 0x20 bit but are not letters are different bytes")
    func nonLettersAreExact() {
        // Each pair differs by 0x20 alone: CR and '-', '@' and '`', '[' and '{', NUL and space.
        #expect(!equals("x\rgzip", "x-gzip"))
        #expect(!equals("a@b", "a`b"))
        #expect(!equals("a[b", "a{b"))
        #expect(!equals("a\u{0}b", "a b"))
        // And every byte pair: equal when the bytes are, or when both are the same letter.
        for a in UInt8.min...UInt8.max {
            for b in UInt8.min...UInt8.max {
                let isLetterPair = a | 0x20 == b | 0x20 && (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(a | 0x20)
                #expect(a.equalsIgnoringCase(b) == (a == b || isLetterPair), "\(a) \(b)")
            }
        }
    }
}
