import FastReceiverTestSupport
import Foundation
import Testing

@testable import FastReceiverStorage
@testable import FastReceiverTools
@testable import FastReceiverVerification

/// The event identity (`EventEnvelope.eventID(of:decodingInto:)`): a function of the body's JSON
/// value, whatever its spelling. Every case also goes through the fuzzer's differential check.
@Suite struct EventEnvelopeTests {
    /// The identity of `text`'s UTF-8 bytes, after the differential check on them.
    static func id(_ text: String) -> [UInt8]? {
        id(Array(text.utf8))
    }

    static func id(_ bytes: [UInt8]) -> [UInt8]? {
        bytes.withUnsafeBytes { body in
            EventIDHarness.check(body)
            return EventIDHarness.fastPath(body)
        }
    }

    static func key(_ text: String) -> EventKey? {
        id(text).map { id in id.withUnsafeBytes { EventKey($0) } }
    }

    @Test("Escapes are decoded before the key is made: one JSON value, one event")
    func escapesAreDecoded() {
        // `\u0061` is "a": the escaped id is "escabc".
        let escaped = #"{"event":{"eventId":"esc\u0061bc","eventType":"touch"}}"#
        let plain = #"{"event":{"eventId":"escabc","eventType":"touch"}}"#
        #expect(Self.id(escaped) == Array("escabc".utf8))
        #expect(Self.key(escaped) == Self.key(plain))
        #expect(Self.key(escaped) != nil)
        #expect(Self.key(#"{"event":{"eventId":"escaabc"}}"#) != Self.key(plain))
        #expect(Self.key(#"{"event":{"eventId":"esc\u0061bd"}}"#) != Self.key(plain))
    }

    static let escapes: [(String, [UInt8])] = [
        (#"a\"b"#, Array("a\"b".utf8)),
        (#"a\\b\/c"#, Array("a\\b/c".utf8)),
        (#"\b\f\n\r\t"#, [0x08, 0x0C, 0x0A, 0x0D, 0x09]),
        (#"caf\u00e9"#, Array("café".utf8)),
        (#"caf\u00E9"#, Array("café".utf8)),
        (#"\ud83d\ude00"#, Array("\u{1F600}".utf8)),
        (#"\u20ac"#, [0xE2, 0x82, 0xAC]),
        // U+0000 is a character like any other: one zero byte of the id.
        (#"a\u0000b"#, [0x61, 0x00, 0x62]),
    ]

    @Test("Each escape stands for its character's UTF-8 bytes", arguments: escapes)
    func escapeDecoding(_ escaped: String, _ decoded: [UInt8]) {
        #expect(Self.id(#"{"event":{"eventId":""# + escaped + #""}}"#) == decoded)
        // The id written without escapes (where JSON allows that) is the same id.
        if let literal = String(validating: decoded, as: UTF8.self), !literal.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\"" || $0 == "\\" }) {
            #expect(Self.id(#"{"event":{"eventId":""# + literal + #""}}"#) == decoded)
        }
    }

    @Test("Keys are compared after unescaping too")
    func escapedKeys() {
        #expect(Self.id(#"{"ev\u0065nt":{"event\u0049d":"escaped-keys"}}"#) == Array("escaped-keys".utf8))
    }

    @Test("A repeated key counts at its last occurrence, as JSON.parse and jsonb read it")
    func lastOccurrenceWins() {
        #expect(Self.id(#"{"event":{"eventId":"first","eventId":"second"}}"#) == Array("second".utf8))
        #expect(Self.id(#"{"event":{"eventId":"first"},"labels":{},"event":{"eventId":"third"}}"#) == Array("third".utf8))
        // The later `event` replaces the earlier one whole: no id is carried over from it.
        #expect(Self.id(#"{"event":{"eventId":"first"},"event":{"eventType":"touch"}}"#) == nil)
        #expect(Self.id(#"{"event":{"eventId":"first"},"event":null}"#) == nil)
        #expect(Self.id(#"{"event":{"eventId":"first","eventId":7}}"#) == nil)
        #expect(Self.id(#"{"event":{"eventId":7,"eventId":"second"}}"#) == Array("second".utf8))
        // An `eventId` outside `event`, or deeper inside it, is not the event's id.
        #expect(Self.id(#"{"eventId":"top","event":{"data":{"eventId":"deep"}}}"#) == nil)
    }

    @Test("The same bytes with JSON whitespace around or inside are keyed alike")
    func whitespace() {
        let compact = #"{"event":{"eventId":"first","eventId":"second"}}"#
        #expect(Self.id(" " + compact) == Array("second".utf8))
        #expect(Self.id("\r\n\t " + compact + " \n") == Array("second".utf8))
        #expect(Self.id(#"{ "event" : { "eventId" : "first" , "eventId" : "second" } }"#) == Array("second".utf8))
        // Whitespace JSON does not allow is not skipped.
        #expect(Self.id("\u{0C}" + compact) == nil)
        #expect(Self.id("\u{A0}" + compact) == nil)
    }

    static let invalidBodies: [String] = [
        #"{"event":{"eventId":"shared-prefix"},"data":[}"#,
        #"{"event":{"eventId":"shared-prefix"},"data":{}"#,
        #"{"event":{"eventId":"shared-prefix"}}garbage"#,
        #"{"event":{"eventId":"shared-prefix"}}{}"#,
        #"{"event":{"eventId":"shared-prefix","x":01}}"#,
        #"{"event":{"eventId":"shared-prefix","x":"\x"}}"#,
        #"{"event":{"eventId":"shared-prefix""#,
        #"{"event":{"eventId":"shared-prefix"#,
        #"[{"event":{"eventId":"shared-prefix"}}]"#,
        // Unpaired surrogate escapes stand for no character: the body is not valid JSON.
        #"{"event":{"eventId":"\ud800"}}"#,
        #"{"event":{"eventId":"\udc00"}}"#,
        #"{"event":{"eventId":"\ud800\u0041"}}"#,
        #"{"event":{"eventId":"shared-prefix","x":"\ude00\ud83d"}}"#,
    ]

    @Test("Invalid JSON has no identity, however valid its first bytes", arguments: invalidBodies)
    func invalidJSON(_ body: String) {
        #expect(Self.id(body) == nil)
    }

    @Test("Invalid bytes after the id: invalid UTF-8, a control character, nesting past the limit")
    func invalidBytes() {
        let prefix = Array(#"{"event":{"eventId":"shared-prefix"},"x":""#.utf8)
        for bad: [UInt8] in [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0x01]] {
            #expect(Self.id(prefix + bad + Array("\"}".utf8)) == nil)
        }
        let deep = #"{"event":{"eventId":"deep","x":"# + String(repeating: "[", count: 62) + String(repeating: "]", count: 62) + "}}"
        let tooDeep = #"{"event":{"eventId":"deep","x":"# + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "}}"
        #expect(Self.id(deep) == Array("deep".utf8))
        #expect(Self.id(tooDeep) == nil)
    }

    @Test("Only a string eventId inside an event object is an identity")
    func shapes() {
        #expect(Self.id(#"{"event":{"eventId":7}}"#) == nil)
        #expect(Self.id(#"{"event":{"eventId":null}}"#) == nil)
        #expect(Self.id(#"{"event":{"eventId":["a"]}}"#) == nil)
        #expect(Self.id(#"{"event":["eventId","a"]}"#) == nil)
        #expect(Self.id(#"{"event":"{\"eventId\":\"a\"}"}"#) == nil)
        #expect(Self.id(#"{"event":{}}"#) == nil)
        #expect(Self.id(#"{"eventId":"a"}"#) == nil)
        #expect(Self.id("{}") == nil)
        #expect(Self.id("") == nil)
    }

    @Test("The id is 1 to 1024 bytes once decoded")
    func length() {
        func body(_ id: String) -> String { #"{"event":{"eventId":""# + id + #""}}"# }
        #expect(Self.id(body("")) == nil)
        #expect(Self.id(body(#"\u0061"#)) == [0x61])
        #expect(Self.id(body(String(repeating: "a", count: 1024))) == Array(repeating: 0x61, count: 1024))
        #expect(Self.id(body(String(repeating: "a", count: 1025))) == nil)
        // Escaped, the same ids are six times longer; their decoded length is what counts.
        #expect(Self.id(body(String(repeating: #"\u0061"#, count: 1024))) == Array(repeating: 0x61, count: 1024))
        #expect(Self.id(body(String(repeating: #"\u0061"#, count: 1025))) == nil)
        #expect(Self.id(body(String(repeating: "é", count: 512))) == Array(String(repeating: "é", count: 512).utf8))
        #expect(Self.id(body(String(repeating: "é", count: 512) + "a")) == nil)
    }

    @Test("An id without escapes is used where it lies in the body, without a copy")
    func zeroCopy() {
        let body = Array(#"{"event":{"eventId":"in-place"}}"#.utf8)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: EventEnvelope.maxEventIDBytes, alignment: 1)
        defer { scratch.deallocate() }
        body.withUnsafeBytes { raw in
            let id = EventEnvelope.eventID(of: raw, decodingInto: scratch)
            #expect(id?.baseAddress == raw.baseAddress.map { $0 + 21 })
            #expect(id.map(Array.init) == Array("in-place".utf8))
        }
    }

    @Test("DT's own sample requests are keyed on their eventId")
    func dtSamples() throws {
        let requests = try Fixtures.dtRequests()
        #expect(!requests.isEmpty)
        for request in requests {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
            let eventID = try #require((object["event"] as? [String: Any])?["eventId"] as? String)
            #expect(Self.id(request.body) == Array(eventID.utf8), "\(request.source)")
        }
    }

    @Test("The emulator's events of every type are keyed on their eventId")
    func emulatedEvents() throws {
        let factory = DTEventFactory(secret: SignatureSecret("envelope-test-secret")!)
        for type in DTEventFactory.EventType.allCases {
            let request = try factory.request(type: type)
            #expect(Self.id(request.body) == Array(request.eventID.utf8), "\(type)")
        }
    }

    @Test("The envelope reads the last event object's fields")
    func envelopeFields() throws {
        let text = #"{"event":{"eventType":"old"},"event":{"eventId":"x","targetName":"projects/p/devices/d","eventType":"touch","timestamp":"2024-05-29T10:34:03.521Z","eventType":"temperature"}}"#
        let body = Array(text.utf8)
        let envelope = try #require(body.withUnsafeBytes { EventEnvelope.read($0) })
        func field(_ range: Range<Int>?) -> String? { range.map { String(decoding: body[$0], as: UTF8.self) } }
        #expect(field(envelope.eventID) == "x")
        #expect(field(envelope.eventType) == "temperature")
        #expect(field(envelope.targetName) == "projects/p/devices/d")
        #expect(field(envelope.timestamp) == "2024-05-29T10:34:03.521Z")
        #expect(body.withUnsafeBytes { EventEnvelope.read($0) } == envelope)
    }

    @Test("The fuzzer's seeds and every input it ever failed on pass its checks")
    func replaysFuzzerInputs() throws {
        let seeds = try Fixtures.files(in: "Fuzz/EventIDFuzzer/seeds")
        #expect(!seeds.isEmpty)
        for input in try seeds + Fixtures.files(in: "Tests/Fixtures/event-id-regressions") {
            let data = try Data(contentsOf: input)
            data.withUnsafeBytes { EventIDHarness.check($0) }
        }
    }
}
