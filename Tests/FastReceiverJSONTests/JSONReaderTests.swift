import Testing

@testable import FastReceiverJSON

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

    @Test("Surrogate escapes must come in pairs: an unpaired one stands for no character",
          arguments: [#"\ud800"#, #"\udbff"#, #"\udc00"#, #"\udfff"#, #"\ud800\u0041"#, #"\ud800\ud800"#, #"\ude00\ud83d"#, #"\ud800\n"#, #"a\ud83d"#])
    func unpairedSurrogates(_ escaped: String) {
        guard case .failure = Self.members(#"{"a":""# + escaped + #""}"#) else {
            Issue.record("accepted \(escaped)")
            return
        }
        #expect(Self.members(#"{""# + escaped + #"":1}"#) != .success([]))
    }

    @Test("Paired surrogate escapes decode to the character they stand for")
    func pairedSurrogates() {
        #expect(Self.members(#"{"\ud83d\ude00":1,"\uDBFF\uDFFF":2}"#) == .success(["\u{1F600}", "\u{10FFFF}"]))
    }

    /// Bytes that end plain ASCII inside a string and their neighbours, each with whether the
    /// string stays valid and what it decodes to.
    static let stringBytes: [(bytes: [UInt8], decoded: [UInt8]?)] = [
        ([0x20], [0x20]), ([0x21], [0x21]), ([0x23], [0x23]), ([0x5B], [0x5B]), ([0x5D], [0x5D]), ([0x7E], [0x7E]),
        ([0x7F], [0x7F]), ([0x00], nil), ([0x01], nil), ([0x1F], nil), ([0x22], nil), ([0x5C], nil), ([0x80], nil),
        ([0xFF], nil), ([0xC3, 0xA9], [0xC3, 0xA9]), ([0xF0, 0x9F, 0x98, 0x80], [0xF0, 0x9F, 0x98, 0x80]),
        (Array(#"\""#.utf8), [0x22]), (Array(#"\\"#.utf8), [0x5C]), (Array(#"\u0041"#.utf8), [0x41]),
    ]

    @Test("Every byte that ends plain ASCII is found at every offset, near the document's end too")
    func stringScanningAtEveryOffset() {
        for (bytes, decoded) in Self.stringBytes {
            for before in 0...17 {
                for after in 0...17 {
                    let contents = Array(repeating: UInt8(ascii: "a"), count: before) + bytes + Array(repeating: UInt8(ascii: "c"), count: after)
                    let document = Array(#"{"k":""#.utf8) + contents + Array(#""}"#.utf8)
                    let value: [UInt8]?? = document.withUnsafeBytes { raw in
                        let reader = JSONReader(raw)
                        var value: [UInt8]?
                        do {
                            try reader.forEachMember { member in value = Array(JSONStringBytes(raw, member.value)) }
                        } catch {
                            return .some(nil)
                        }
                        return .some(value)
                    }
                    let expected = decoded.map { Array(repeating: UInt8(ascii: "a"), count: before) + $0 + Array(repeating: UInt8(ascii: "c"), count: after) }
                    #expect(value == .some(expected), "\(bytes) after \(before) bytes, before \(after)")
                }
            }
        }
    }

    @Test("Members of the object under one key are read in the same pass, with offsets into the whole document")
    func descendingIntoOneKey() throws {
        let text = #"{"a":{"x":1},"ev\u0065nt":{"id":"one","deep":{"id":"two"}},"b":[{"event":{"id":"three"}}],"event":"four","event":{}}"#
        let bytes = Array(text.utf8)
        var nested: [String] = []
        var top: [String] = []
        try bytes.withUnsafeBytes { raw in
            let reader = JSONReader(raw, maxDepth: 8)
            func text(_ range: Range<Int>) -> String { String(decoding: raw[range], as: UTF8.self) }
            try reader.forEachMember(descendingInto: "event", nested: { member in
                nested.append(text(member.key) + "=" + text(member.value))
            }) { member in
                top.append(text(member.key) + ":" + (member.kind == .object ? "object" : text(member.value)) + "@\(nested.count)")
            }
        }
        #expect(nested == ["id=one", #"deep={"id":"two"}"#])
        #expect(top == ["a:object@0", #"ev\u0065nt:object@2"#, #"b:[{"event":{"id":"three"}}]@2"#, "event:four@2", "event:object@2"])
    }

    @Test("The object read member by member counts against the nesting limit, and must be valid")
    func descendingLimits() {
        func read(_ text: String, maxDepth: Int) -> Bool {
            Array(text.utf8).withUnsafeBytes { raw in
                (try? JSONReader(raw, maxDepth: maxDepth).forEachMember(descendingInto: "e", nested: { _ in }) { _ in }) != nil
            }
        }
        #expect(read(#"{"e":{"a":[]}}"#, maxDepth: 3))
        #expect(!read(#"{"e":{"a":[]}}"#, maxDepth: 2))
        #expect(!read(#"{"e":{}}"#, maxDepth: 1))
        for invalid in [#"{"e":{"a":1,}}"#, #"{"e":{"a"}}"#, #"{"e":{"a":1}"#, #"{"e":{"a":1}}}"#, #"{"e":{,}}"#] {
            #expect(!read(invalid, maxDepth: 8), "\(invalid)")
        }
    }

    @Test("Numbers convert to their values", arguments: [("0", 0.0), ("-12", -12), ("1641984072", 1_641_984_072), ("1.5", 1.5), ("2e3", 2000), ("25E-1", 2.5), ("-0.125e+1", -1.25)])
    func numbers(_ text: String, _ value: Double) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { raw in
            #expect(JSONReader(raw).number(0..<raw.count) == value)
        }
    }
}
