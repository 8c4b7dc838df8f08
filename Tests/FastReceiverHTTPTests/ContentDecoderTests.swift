import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiverHTTP

@Suite struct ContentDecoderTests {
    @Test("gzip and deflate bodies inflate; a body that inflates past the cap is refused")
    func inflate() throws {
        let decoder = ContentDecoder(limit: 1000)
        let gzip = try gzipped(Array(#"{"a":1}"#.utf8))
        let result = gzip.withUnsafeBytes { raw in decoder.decode(raw, coding: .gzip).map { Array($0) } }
        #expect(try result.get() == Array(#"{"a":1}"#.utf8))
        let bomb = try gzipped(Array(repeating: UInt8(ascii: "a"), count: 5000))
        #expect(bomb.withUnsafeBytes { decoder.decode($0, coding: .gzip).map { _ in 0 } } == .failure(.tooLarge(limit: 1000)))
        #expect([1, 2, 3].withUnsafeBytes { decoder.decode($0, coding: .gzip).map { _ in 0 } } == .failure(.malformed))
        #expect(Array("GZIP".utf8).withUnsafeBytes { ContentDecoder.coding(of: $0) } == .gzip)
        #expect(Array("br".utf8).withUnsafeBytes { ContentDecoder.coding(of: $0) } == nil)
    }

    @Test("Codings are named in any case, and only letters differ by case: x\\rgzip is not x-gzip")
    func codingNames() {
        func coding(_ text: String) -> ContentDecoder.Coding? {
            Array(text.utf8).withUnsafeBytes { ContentDecoder.coding(of: $0) }
        }
        #expect(coding("X-GZip") == .gzip)
        #expect(coding("Deflate") == .deflate)
        #expect(coding("IDENTITY") == .identity)
        #expect(coding("") == .identity)
        // CR is '-' with the 0x20 bit cleared: the same byte once both are OR'ed with 0x20.
        #expect(coding("x\rgzip") == nil)
    }

    @Test("A gzip body of several members (RFC 1952 §2.2) inflates to all of them, under one cap")
    func members() throws {
        let decoder = ContentDecoder(limit: 1000)
        func decode(_ bytes: [UInt8]) -> Result<[UInt8], ContentDecoder.Failure> {
            bytes.withUnsafeBytes { raw in decoder.decode(raw, coding: .gzip).map { Array($0) } }
        }
        let parts = [#"{"event":{"eventId":"#, #""m1","data":{}},"#, #""labels":{}}"#].map { Array($0.utf8) }
        let whole = parts.flatMap { $0 }
        // As `gzip -c a > x; gzip -c b >> x` makes them.
        let two = try gzipped(parts[0]) + gzipped(parts[1] + parts[2])
        let three = try parts.map { try gzipped($0) }.flatMap { $0 }
        #expect(try decode(two).get() == whole)
        #expect(try decode(three).get() == whole)
        #expect(try decode(try gzipped([]) + gzipped(whole) + gzipped([])).get() == whole)
        // Whatever follows a member must be a whole member.
        #expect(decode(three + [0]) == .failure(.malformed))
        #expect(decode(three + Array("trailing".utf8)) == .failure(.malformed))
        #expect(decode(three + Array(try gzipped(parts[0]).dropLast(4))) == .failure(.malformed))
        // The cap is on all members together.
        let six = try gzipped(Array(repeating: UInt8(ascii: "a"), count: 600))
        #expect(decode(six + six) == .failure(.tooLarge(limit: 1000)))
        let five = try gzipped(Array(repeating: UInt8(ascii: "a"), count: 500))
        #expect(try decode(five + five).get().count == 1000)
    }
}
