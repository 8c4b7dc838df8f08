internal import FastReceiverJSON

/// The few fields of a DT event that the request path needs, as offsets into the body:
/// `event.eventId` (dedupe), `event.eventType`, `event.targetName` and `event.timestamp`.
///
/// Read in one pass by the strict `JSONReader`, which validates the whole body as it goes but
/// builds nothing, so a 600-byte event costs one walk over its bytes and no allocation. Unknown
/// fields are ignored: DT keeps adding them. A repeated key counts at its last occurrence, as
/// `JSON.parse`, Python's `json` and PostgreSQL's `jsonb` (where the events are forwarded) read it.
public struct EventEnvelope: Sendable, Equatable {
    /// `event.eventId`'s contents (still JSON-escaped), when it is a string.
    public var eventID: Range<Int>?
    /// Whether `eventID` holds backslash escapes (DT's ids never do).
    public var eventIDHasEscapes = false
    /// `event.eventType`'s contents (still JSON-escaped), when it is a string.
    public var eventType: Range<Int>?
    /// `event.targetName`'s contents (still JSON-escaped), when it is a string.
    public var targetName: Range<Int>?
    /// `event.timestamp`'s contents (still JSON-escaped), when it is a string.
    public var timestamp: Range<Int>?

    /// The longest identity, in bytes once its escapes are decoded: 1 KiB. A longer
    /// `eventId` gives the event no identity, so it is stored but never deduplicated.
    public static let maxEventIDBytes = 1024

    public init() {}

    /// Reads the envelope of `body`.
    /// - Returns: nil when the body is not exactly one JSON object (whitespace around it allowed)
    ///   whose `event` member is an object.
    public static func read(_ body: UnsafeRawBufferPointer) -> EventEnvelope? {
        let reader = JSONReader(body, maxDepth: 64)
        var envelope: EventEnvelope?
        // The fields of the `event` object being read; it becomes `envelope` once it ends, so a
        // later `event` replaces an earlier one whole.
        var fields = EventEnvelope()
        do {
            try reader.forEachMember(descendingInto: "event", nested: { member in
                let value = member.kind == .string ? member.value : nil
                if reader.key(of: member, is: "eventId") {
                    fields.eventID = value
                    fields.eventIDHasEscapes = member.valueHasEscapes
                } else if reader.key(of: member, is: "eventType") {
                    fields.eventType = value
                } else if reader.key(of: member, is: "targetName") {
                    fields.targetName = value
                } else if reader.key(of: member, is: "timestamp") {
                    fields.timestamp = value
                }
            }) { member in
                guard reader.key(of: member, is: "event") else { return }
                envelope = member.kind == .object ? fields : nil
                fields = EventEnvelope()
            }
        } catch {
            return nil
        }
        return envelope
    }

    /// The identity an event is deduplicated on: the decoded value of `event.eventId`.
    ///
    /// The body must be exactly one valid JSON object (whitespace around it allowed) whose last
    /// `event` member is an object whose last `eventId` member is a string, of 1 to
    /// `maxEventIDBytes` bytes once its escapes are decoded to UTF-8. Anything
    /// else — invalid JSON included — has no identity and is never deduplicated. Because the id
    /// is the string's value, not its spelling, `"esc\u0061bc"` and `"escabc"` are one id.
    /// `\u0000` decodes to a zero byte like any other character; an unpaired surrogate escape
    /// makes the body invalid JSON (`JSONReader` refuses it), so it has no identity.
    ///
    /// - Parameters:
    ///   - body: the event as verified.
    ///   - scratch: where an id with escapes is decoded; at least `maxEventIDBytes`
    ///     bytes. An id without escapes, DT's only kind, is used where it lies in `body`.
    /// - Returns: the id's decoded bytes (inside `body` or `scratch`), or nil when the event has none.
    public static func eventID(of body: UnsafeRawBufferPointer, decodingInto scratch: UnsafeMutableRawBufferPointer) -> UnsafeRawBufferPointer? {
        precondition(scratch.count >= Self.maxEventIDBytes, "the scratch must hold the longest event id")
        guard let envelope = read(body), let range = envelope.eventID else { return nil }
        var id = UnsafeRawBufferPointer(rebasing: body[range])
        if envelope.eventIDHasEscapes {
            let limit = UnsafeMutableRawBufferPointer(rebasing: scratch[..<Self.maxEventIDBytes])
            guard let count = JSONReader(body).decodeString(range, into: limit) else { return nil }
            id = UnsafeRawBufferPointer(rebasing: scratch[..<count])
        }
        return (1...Self.maxEventIDBytes).contains(id.count) ? id : nil
    }
}
