internal import FastReceiverJSON
internal import FastReceiverSystem

/// Where the columns a row takes from an event's body lie in it: `event.eventType`,
/// `event.targetName`, `event.timestamp`, and `metadata.projectId` / `metadata.deviceId` for
/// events whose target names no device.
///
/// Read with the strict JSON reader, which validates the whole body; a repeated key counts at
/// its last occurrence, as `jsonb` (where the body is stored) keeps it, so that the columns
/// always agree with `body`. A field that is missing or not a string gives NULL.
struct EventColumns {
    /// The deepest nesting read. DT's events nest four levels; a body deeper than this is still
    /// sent, its columns NULL, and PostgreSQL decides whether `jsonb` takes it.
    static let maxDepth = 256

    /// A string member's contents, still JSON-escaped.
    struct Field {
        var range: Range<Int>
        var hasEscapes: Bool
    }

    var eventType: Field?
    var targetName: Field?
    var timestamp: Field?
    var metadataProjectID: Field?
    var metadataDeviceID: Field?
    /// Whether the body is exactly one JSON object, as RFC 8259 defines it.
    var isObject = false

    /// Reads the columns' places in `body`.
    init(_ body: UnsafeRawBufferPointer) {
        let reader = JSONReader(body, maxDepth: Self.maxDepth)
        var event = EventColumns()
        var metadata: Range<Int>?
        do {
            var fields = EventColumns()
            try reader.forEachMember(descendingInto: "event", nested: { member in
                let value = member.kind == .string ? Field(range: member.value, hasEscapes: member.valueHasEscapes) : nil
                if reader.key(of: member, is: "eventType") {
                    fields.eventType = value
                } else if reader.key(of: member, is: "targetName") {
                    fields.targetName = value
                } else if reader.key(of: member, is: "timestamp") {
                    fields.timestamp = value
                }
            }) { member in
                if reader.key(of: member, is: "event") {
                    // A later `event` replaces an earlier one whole, as in jsonb.
                    event = member.kind == .object ? fields : EventColumns()
                    fields = EventColumns()
                } else if reader.key(of: member, is: "metadata") {
                    metadata = member.kind == .object ? member.value : nil
                }
            }
        } catch {
            self = EventColumns()
            return
        }
        self = event
        isObject = true
        if let metadata { readMetadata(UnsafeRawBufferPointer(rebasing: body[metadata]), at: metadata.lowerBound) }
    }

    private init() {}

    /// Reads `metadata`'s ids; `object` lies at `base` in the body, which the ranges are relative to.
    private mutating func readMetadata(_ object: UnsafeRawBufferPointer, at base: Int) {
        let reader = JSONReader(object, maxDepth: Self.maxDepth)
        var projectID: Field?
        var deviceID: Field?
        try? reader.forEachMember { member in
            let value = member.kind == .string
                ? Field(range: (member.value.lowerBound + base)..<(member.value.upperBound + base), hasEscapes: member.valueHasEscapes) : nil
            if reader.key(of: member, is: "projectId") {
                projectID = value
            } else if reader.key(of: member, is: "deviceId") {
                deviceID = value
            }
        }
        metadataProjectID = projectID
        metadataDeviceID = deviceID
    }

    /// The project and device a target name `projects/P/devices/D` names, as ranges within it.
    /// - Parameter target: the decoded target name.
    /// - Returns: nil unless the name has exactly that shape with non-empty ids.
    static func projectAndDevice(in target: UnsafeRawBufferPointer) -> (project: Range<Int>, device: Range<Int>)? {
        let slash = UInt8(ascii: "/")
        var parts: [Range<Int>] = []
        parts.reserveCapacity(4)
        var start = 0
        for index in 0...target.count where index == target.count || target[index] == slash {
            guard parts.count < 4 else { return nil }
            parts.append(start..<index)
            start = index + 1
        }
        guard parts.count == 4, !parts[1].isEmpty, !parts[3].isEmpty,
              UnsafeRawBufferPointer(rebasing: target[parts[0]]).elementsEqual("projects".utf8),
              UnsafeRawBufferPointer(rebasing: target[parts[2]]).elementsEqual("devices".utf8)
        else { return nil }
        return (parts[1], parts[3])
    }

    /// Whether `body` holds the escape `\u0000` in a string, which `jsonb` refuses: a backslash
    /// that is not itself escaped, followed by `u0000`.
    static func holdsEscapedNUL(_ body: UnsafeRawBufferPointer) -> Bool {
        let backslash = UInt8(ascii: "\\")
        var index = 0
        while let found = body.firstIndex(of: backslash, from: index, to: body.count) {
            var end = found
            while end < body.count, body[end] == backslash { end += 1 }
            // An odd run of backslashes leaves the last one escaping what follows.
            if (end - found) % 2 == 1, end + 5 <= body.count, body[end] == UInt8(ascii: "u"),
               body[end + 1] == 0x30, body[end + 2] == 0x30, body[end + 3] == 0x30, body[end + 4] == 0x30 {
                return true
            }
            index = end
        }
        return false
    }
}
