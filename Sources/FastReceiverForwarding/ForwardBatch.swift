internal import FastReceiverCrypto
internal import FastReceiverJSON
internal import FastReceiverStorage
internal import FastReceiverSystem

/// The events of one transaction: copied out of the journal, with the columns their rows take,
/// and where in each segment the batch ends.
///
/// One byte buffer holds every row's strings and body, reused from batch to batch, so that
/// reading an event allocates nothing once the buffers have grown.
struct ForwardBatch {
    /// One event, its strings as ranges of `bytes`.
    struct Row {
        /// The segment it was read from: an index into `segments`.
        var segment: Int
        /// Its record's offset in the (uncompressed) segment.
        var offset: Int
        var receivedAtMilliseconds: Int64
        /// `event_id`: the stored event id, or `sha256:<hex of the body>` for an event without one.
        var key: Range<Int>
        var eventType: Range<Int>?
        var projectID: Range<Int>?
        var deviceID: Range<Int>?
        var eventTimeMicroseconds: Int64?
        var body: Range<Int>
        /// PostgreSQL may well refuse it (its body is not a JSON object, or holds `\u0000`, …):
        /// it is inserted on its own, so that the rest of the batch never waits on it.
        var isSuspect: Bool
    }

    /// How far the batch reaches into one segment.
    struct SegmentEnd {
        var name: SegmentName
        /// The offset after the batch's last record in it.
        var offset: Int
        /// The segment is sealed and every record of it is in this batch or an earlier one.
        var isComplete = false
    }

    /// Rows at most. Default 5 000.
    let maxRows: Int
    /// Bytes of `bytes` at most, beyond which no row is added (one row always fits). Default 8 MiB.
    let maxBytes: Int

    private(set) var bytes: [UInt8] = []
    private(set) var rows: [Row] = []
    private(set) var segments: [SegmentEnd] = []
    /// Where escaped strings are decoded before they are appended.
    private var scratch: [UInt8] = []

    init(maxRows: Int = 5_000, maxBytes: Int = 8 << 20) {
        self.maxRows = max(maxRows, 1)
        self.maxBytes = maxBytes
        bytes.reserveCapacity(maxBytes)
        rows.reserveCapacity(self.maxRows)
    }

    /// Whether no row, nor any segment's end, waits to be written.
    var isEmpty: Bool { rows.isEmpty && segments.isEmpty }

    /// Whether the batch should be written before another row is added.
    var isFull: Bool { rows.count >= maxRows || bytes.count >= maxBytes }

    /// Empties the batch, keeping its buffers.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        rows.removeAll(keepingCapacity: true)
        segments.removeAll(keepingCapacity: true)
    }

    /// Adds the record whose payload is `payload`, which ends at `end` in `segment`.
    mutating func append(payload: UnsafeRawBufferPointer, segment: SegmentName, end: Int) {
        let segmentIndex = reach(segment, to: end)
        let idRange = JournalRecord.eventID(payload: payload)
        let body = UnsafeRawBufferPointer(rebasing: payload[idRange.upperBound...])
        let receivedAt = JournalRecord.receivedAtMilliseconds(payload: payload)
        let bodyStart = bytes.count
        bytes += body
        let keyStart = bytes.count
        if idRange.isEmpty {
            bytes += "sha256:".utf8
            bytes += ((try? OpenSSLDigest.sha256(body))?.hex ?? "").utf8
        } else {
            bytes += payload[idRange]
        }
        let key = keyStart..<bytes.count
        let columns = EventColumns(body)
        var row = Row(segment: segmentIndex, offset: end - JournalRecord.headerBytes - payload.count, receivedAtMilliseconds: receivedAt,
                      key: key, body: bodyStart..<keyStart, isSuspect: false)
        row.eventType = append(columns.eventType, of: body, at: bodyStart)
        if let target = append(columns.targetName, of: body, at: bodyStart),
           let (project, device) = bytes.withUnsafeBytes({ EventColumns.projectAndDevice(in: UnsafeRawBufferPointer(rebasing: $0[target])) }) {
            row.projectID = (project.lowerBound + target.lowerBound)..<(project.upperBound + target.lowerBound)
            row.deviceID = (device.lowerBound + target.lowerBound)..<(device.upperBound + target.lowerBound)
        } else {
            row.projectID = append(columns.metadataProjectID, of: body, at: bodyStart)
            row.deviceID = append(columns.metadataDeviceID, of: body, at: bodyStart)
        }
        if let timestamp = append(columns.timestamp, of: body, at: bodyStart) {
            row.eventTimeMicroseconds = bytes.withUnsafeBytes { RFC3339.unixMicroseconds(UnsafeRawBufferPointer(rebasing: $0[timestamp])) }
        }
        row.isSuspect = !columns.isObject || EventColumns.holdsEscapedNUL(body) || bytes[key].contains(0)
            || !RFC3339.representableMilliseconds.contains(receivedAt)
        rows.append(row)
    }

    /// Records that the batch reaches `end` in `segment`, without a row (a segment whose last
    /// records were corrupt), and whether the segment is now read to its end.
    mutating func reach(_ segment: SegmentName, to end: Int, isComplete: Bool) {
        segments[reach(segment, to: end)].isComplete = isComplete
    }

    /// The index of `segment` in `segments`, added if new, its end moved to `end`.
    private mutating func reach(_ segment: SegmentName, to end: Int) -> Int {
        if let index = segments.lastIndex(where: { $0.name.isSameSegment(as: segment) }) {
            segments[index].offset = max(segments[index].offset, end)
            segments[index].name = segment
            return index
        }
        segments.append(SegmentEnd(name: segment, offset: end))
        return segments.count - 1
    }

    /// Appends a string field's decoded value; returns its range in `bytes`, or nil for none.
    /// A value without escapes is already in `bytes`, inside the copied body at `bodyStart`.
    private mutating func append(_ field: EventColumns.Field?, of body: UnsafeRawBufferPointer, at bodyStart: Int) -> Range<Int>? {
        guard let field else { return nil }
        guard field.hasEscapes else { return (field.range.lowerBound + bodyStart)..<(field.range.upperBound + bodyStart) }
        // Decoding never lengthens a string.
        if scratch.count < field.range.count { scratch = [UInt8](repeating: 0, count: field.range.count) }
        let decoded = scratch.withUnsafeMutableBytes { JSONReader(body).decodeString(field.range, into: $0) }
        guard let decoded else { return nil }
        let start = bytes.count
        bytes += scratch[..<decoded]
        return start..<bytes.count
    }
}

extension SegmentName {
    /// Whether both name the same segment, compressed or not.
    func isSameSegment(as other: SegmentName) -> Bool {
        createdAtMilliseconds == other.createdAtMilliseconds && worker == other.worker && sequence == other.sequence
    }
}
