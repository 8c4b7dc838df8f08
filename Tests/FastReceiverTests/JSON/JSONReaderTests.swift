import Testing
@testable import FastReceiver

@Suite struct JSONReaderTests {
    static func members(_ text: String, rejectingDuplicates: Bool = true) -> Result<[String], JSONError> {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw in
            let reader = JSONReader(raw, maxDepth: 8)
            let keys = UnsafeMutableBufferPointer<JSONMember>.allocate(capacity: 8)
            defer { keys.deallocate() }
            var found: [String] = []
            do {
                try reader.forEachMember(rejectingDuplicatesIn: rejectingDuplicates ? keys : nil) { member in
                    found.append(String(decoding: Array(JSONStringBytes(raw, member.key)), as: UTF8.self))
                }
                return .success(found)
            } catch let error as JSONError {
                return .failure(error)
            } catch {
                Issue.record("unexpected error \(error)")
                return .failure(.notAnObject)
            }
        }
    }

    static let valid: [(String, [String])] = [
        ("{}", []),
        (" {\"a\":1} ", ["a"]),
        (#"{"a":"x","b":-0.5e+3,"c":true,"d":false,"e":null,"f":[1,[2,{}]],"g":{"h":"i"}}"#, ["a", "b", "c", "d", "e", "f", "g"]),
        (#"{"\u00e9\n":"\ud83d\ude00 \"q\" \\ \/ \b\f\r\t"}"#, ["é\n"]),
        ("{\"caf\u{e9}\":\"\u{1F600}\"}", ["café"]),
        ("{\n\t\"a\" :\r\n 0 }", ["a"]),
    ]

    @Test("Well-formed objects yield their keys in order", arguments: valid)
    func wellFormed(_ text: String, _ keys: [String]) {
        #expect(Self.members(text) == .success(keys))
    }

    static let invalid: [String] = [
        "", "[]", "\"a\"", "1", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}",
        "{'a':1}", "{a:1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":+1}", "{\"a\":-}",
        "{\"a\":tru}", "{\"a\":nul}", "{\"a\":True}", "{\"a\":\"\u{1}\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}",
        "{\"a\":\"unterminated}", "{\"a\":[1,2}", "{\"a\":{\"b\":1]}", "{} {}", "{\"a\":1}x", "{\"a\":NaN}",
    ]

    @Test("Malformed JSON is refused", arguments: invalid)
    func malformed(_ text: String) {
        guard case .failure = Self.members(text) else {
            Issue.record("accepted \(text.debugDescription)")
            return
        }
    }

    @Test("Invalid UTF-8 inside strings is refused", arguments: [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xFF]] as [[UInt8]])
    func invalidUTF8(_ sequence: [UInt8]) {
        let bytes = Array("{\"a\":\"".utf8) + sequence + Array("\"}".utf8)
        let result: Bool = bytes.withUnsafeBytes { raw in
            (try? JSONReader(raw).forEachMember { _ in }) != nil
        }
        #expect(!result)
    }

    @Test("Nesting is capped")
    func depth() {
        let ok = "{\"a\":" + String(repeating: "[", count: 7) + String(repeating: "]", count: 7) + "}"
        let deep = "{\"a\":" + String(repeating: "[", count: 8) + String(repeating: "]", count: 8) + "}"
        #expect(Self.members(ok) == .success(["a"]))
        #expect(Self.members(deep) == .failure(.tooDeep(limit: 8)))
    }

    @Test("Duplicate keys are found after unescaping, and only when asked")
    func duplicates() {
        #expect(Self.members(#"{"a":1,"a":2}"#) == .failure(.duplicateKey(offset: 7)))
        #expect(Self.members(#"{"ab":1,"a\u0062":2}"#) == .failure(.duplicateKey(offset: 8)))
        #expect(Self.members(#"{"a":1,"a":2}"#, rejectingDuplicates: false) == .success(["a", "a"]))
        #expect(Self.members(#"{"a":{"x":1,"x":2}}"#) == .success(["a"]))
        let many = "{" + (0..<9).map { "\"k\($0)\":0" }.joined(separator: ",") + "}"
        #expect(Self.members(many) == .failure(.tooManyMembers(limit: 8)))
    }

    @Test("Numbers convert to their values", arguments: [("0", 0.0), ("-12", -12), ("1641984072", 1_641_984_072), ("1.5", 1.5), ("2e3", 2000), ("25E-1", 2.5), ("-0.125e+1", -1.25)])
    func numbers(_ text: String, _ value: Double) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { raw in
            #expect(JSONReader(raw).number(0..<raw.count) == value)
        }
    }
}
