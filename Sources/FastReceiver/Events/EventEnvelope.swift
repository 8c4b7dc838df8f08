/// The few fields of a DT event that the request path needs, as offsets into the body:
/// `event.eventId` (dedupe), `event.eventType`, `event.targetName` and `event.timestamp`.
///
/// Read with the strict `JSONReader`, which validates the body as it goes but builds nothing,
/// so a 600-byte event costs one pass over its bytes and no allocation. Unknown fields are
/// ignored: DT keeps adding them.
public struct EventEnvelope: Sendable, Equatable {
    /// `event.eventId`'s contents (still JSON-escaped), when present as a string.
    public var eventID: Range<Int>?
    /// Whether `eventID` holds backslash escapes (DT's ids never do).
    public var eventIDHasEscapes = false
    public var eventType: Range<Int>?
    public var targetName: Range<Int>?
    public var timestamp: Range<Int>?

    public init() {}

    /// The `eventId` of a body, as cheaply as possible: DT writes `{"event":{"eventId":"…"` first,
    /// so that prefix is matched directly and only other layouts pay for a full `read`.
    /// - Returns: the id's range (its JSON string contents as written), or nil when there is none.
    public static func eventID(in body: UnsafeRawBufferPointer) -> Range<Int>? {
        let prefix: StaticString = #"{"event":{"eventId":""#
        let prefixCount = prefix.utf8CodeUnitCount
        if body.count > prefixCount,
           UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefixCount).elementsEqual(body[..<prefixCount]) {
            var index = prefixCount
            while index < body.count {
                let byte = body[index]
                if byte == UInt8(ascii: "\\") || byte < 0x20 { break }  // unusual: let the full reader decide
                if byte == UInt8(ascii: "\"") { return prefixCount..<index }
                index += 1
            }
        }
        return read(body)?.eventID
    }

    /// Reads the envelope of `body`.
    /// - Returns: nil when the body is not a JSON object with an `event` object in it.
    public static func read(_ body: UnsafeRawBufferPointer) -> EventEnvelope? {
        let reader = JSONReader(body, maxDepth: 64)
        var eventObject: Range<Int>?
        do {
            try reader.forEachMember { member in
                if member.kind == .object, reader.key(of: member, is: "event") { eventObject = member.value }
            }
        } catch {
            return nil
        }
        guard let eventObject else { return nil }
        var envelope = EventEnvelope()
        let inner = UnsafeRawBufferPointer(rebasing: body[eventObject])
        let innerReader = JSONReader(inner, maxDepth: 63)
        do {
            try innerReader.forEachMember { member in
                guard member.kind == .string else { return }
                let value = (member.value.lowerBound + eventObject.lowerBound)..<(member.value.upperBound + eventObject.lowerBound)
                if innerReader.key(of: member, is: "eventId") {
                    envelope.eventID = value
                    envelope.eventIDHasEscapes = member.valueHasEscapes
                } else if innerReader.key(of: member, is: "eventType") {
                    envelope.eventType = value
                } else if innerReader.key(of: member, is: "targetName") {
                    envelope.targetName = value
                } else if innerReader.key(of: member, is: "timestamp") {
                    envelope.timestamp = value
                }
            }
        } catch {
            return nil
        }
        return envelope
    }
}
