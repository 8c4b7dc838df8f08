// Shared by the fuzzer and the test target (Tests/FastReceiverVerificationTests links to this file), so
// that inputs replayed by `swift test` go through exactly the checks the fuzzer made.
import FastReceiverJSON
import FastReceiverVerification
import Foundation

/// Holds ``EventEnvelope/eventID(of:decodingInto:)``, the one-pass identity on the request path,
/// against the same rule read the plain way, and traps on any difference.
enum EventIDHarness {
    /// The identity rule read level by level: the strict reader over the whole body, the last
    /// `event` member, a second reader over that object alone, its last `eventId` member, decoded.
    static func reference(_ body: UnsafeRawBufferPointer) -> [UInt8]? {
        let reader = JSONReader(body, maxDepth: 64)
        var event: JSONMember?
        do {
            try reader.forEachMember { member in
                if reader.key(of: member, is: "event") { event = member }
            }
        } catch {
            return nil
        }
        guard let event, event.kind == .object else { return nil }
        let object = UnsafeRawBufferPointer(rebasing: body[event.value])
        let objectReader = JSONReader(object, maxDepth: 63)
        var eventID: JSONMember?
        do {
            try objectReader.forEachMember { member in
                if objectReader.key(of: member, is: "eventId") { eventID = member }
            }
        } catch {
            preconditionFailure("the event object of a valid body does not read on its own: \(error)")
        }
        guard let eventID, eventID.kind == .string else { return nil }
        // Decoding never lengthens a string: an escape stands for fewer bytes than it takes.
        var decoded = [UInt8](repeating: 0, count: eventID.value.count)
        guard let count = decoded.withUnsafeMutableBytes({ objectReader.decodeString(eventID.value, into: $0) }) else {
            preconditionFailure("a decoded string is longer than its escaped form")
        }
        return (1...EventEnvelope.maxEventIDBytes).contains(count) ? Array(decoded[..<count]) : nil
    }

    /// The request path's identity of `body`, copied out.
    static func fastPath(_ body: UnsafeRawBufferPointer) -> [UInt8]? {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: EventEnvelope.maxEventIDBytes, alignment: 1)
        defer { scratch.deallocate() }
        guard let id = EventEnvelope.eventID(of: body, decodingInto: scratch) else { return nil }
        let inBody = body.count > 0 && id.baseAddress! >= body.baseAddress! && id.baseAddress! + id.count <= body.baseAddress! + body.count
        let inScratch = id.baseAddress! >= UnsafeRawPointer(scratch.baseAddress!)
            && id.baseAddress! + id.count <= UnsafeRawPointer(scratch.baseAddress!) + scratch.count
        precondition(inBody || inScratch, "the id lies outside the body and the scratch")
        return Array(id)
    }

    /// Why the strict reader does not take `body` as one JSON object within the envelope's
    /// nesting limit, or nil when it does.
    static func readerError(_ body: UnsafeRawBufferPointer) -> JSONError? {
        do throws(JSONError) {
            try JSONReader(body, maxDepth: 64).forEachMember { _ in }
            return nil
        } catch {
            return error
        }
    }

    /// Foundation's `JSONSerialization` reading of `body`: whether it is valid, and the identity
    /// by the same rule. Nil where Foundation does not judge as the strict reader does: it also
    /// takes UTF-16 and UTF-32 (told apart by zero bytes), a byte order mark and a comma before
    /// a closing bracket, and refuses numbers a `Double` cannot hold.
    static func foundation(_ body: UnsafeRawBufferPointer) -> (isValid: Bool, id: [UInt8]?)? {
        guard !body.contains(0), !body.starts(with: [0xEF, 0xBB, 0xBF]), !hasCommaBeforeClose(body) else { return nil }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body))
        } catch {
            // Its only way to say so: "Number 1e400 is not representable in Swift."
            if "\(error)".contains("not representable") { return nil }
            return (false, nil)
        }
        guard let root = object as? [String: Any] else { return (false, nil) }
        guard let event = root["event"] as? [String: Any], let id = event["eventId"] as? String else { return (true, nil) }
        let bytes = Array(id.utf8)
        return (true, (1...EventEnvelope.maxEventIDBytes).contains(bytes.count) ? bytes : nil)
    }

    /// Whether a `,` outside strings is followed (past whitespace) by `}` or `]`.
    static func hasCommaBeforeClose(_ body: UnsafeRawBufferPointer) -> Bool {
        var isInString = false
        var isEscaped = false
        var lastOutside: UInt8 = 0
        for byte in body {
            if isInString {
                if isEscaped {
                    isEscaped = false
                } else if byte == UInt8(ascii: "\\") {
                    isEscaped = true
                } else if byte == UInt8(ascii: "\"") {
                    isInString = false
                }
                continue
            }
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if lastOutside == UInt8(ascii: ",") { return true }
            case UInt8(ascii: "\""): isInString = true
            default: break
            }
            lastOutside = byte
        }
        return false
    }

    /// Traps unless the request path, the plain reading and Foundation (where it applies) agree
    /// on `body`'s identity, and the request path gives the same identity with JSON whitespace
    /// around the body.
    static func check(_ body: UnsafeRawBufferPointer) {
        let fast = fastPath(body)
        let plain = reference(body)
        precondition(fast == plain, "the request path reads id \(describe(fast)), the plain reading \(describe(plain))")
        // Foundation allows deeper nesting.
        let error = readerError(body)
        if error != .tooDeep(limit: 64), let foundation = foundation(body) {
            precondition((error == nil) == foundation.isValid, "the reader finds \(error.map { "\($0)" } ?? "valid JSON"), Foundation \(foundation.isValid ? "valid" : "invalid") JSON")
            precondition(fast == foundation.id, "the request path reads id \(describe(fast)), Foundation \(describe(foundation.id))")
        }
        let padded = [0x20, 0x0A] + Array(body) + [0x09, 0x0D, 0x20]
        let paddedID = padded.withUnsafeBytes { fastPath($0) }
        precondition(paddedID == fast, "whitespace around the body changes its id from \(describe(fast)) to \(describe(paddedID))")
    }

    private static func describe(_ id: [UInt8]?) -> String {
        id.map { "\($0.count) bytes \($0.prefix(32).map { String($0, radix: 16) })" } ?? "none"
    }
}
