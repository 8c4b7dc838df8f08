import Foundation

/// Reads a journal directory for `journal cat` and `journal stats`, without a running server:
/// plain and compressed segments alike, in storage order.
public struct JournalCatalog {
    public let directory: String

    /// - Parameter dataDirectory: `DATA_DIR` (the journal is its `journal/` folder).
    public init(dataDirectory: String) {
        directory = dataDirectory + "/journal"
    }

    /// One stored event as `journal cat` prints it:
    /// `{"receivedAt":"RFC 3339","eventId":"…","event":<body verbatim>}`.
    public static func line(for record: JournalRecord) -> String {
        let receivedAt = RFC3339.string(unixMilliseconds: record.receivedAtMilliseconds)
        // The id is stored as it appears between quotes in the event, so it is already valid
        // JSON string contents.
        let id = record.eventID.isEmpty ? "null" : "\"" + String(decoding: record.eventID, as: UTF8.self) + "\""
        let isObject = record.body.withUnsafeBytes { raw in (try? JSONReader(raw, maxDepth: 128).forEachMember { _ in }) != nil }
        let event = isObject
            ? String(decoding: record.body, as: UTF8.self).replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
            : "null,\"rawBody\":\"\(Data(record.body).base64EncodedString())\""
        return "{\"receivedAt\":\"\(receivedAt)\",\"eventId\":\(id),\"event\":\(event)}"
    }

    /// Calls `body` with every record of the segment, skipping the first `skip` records.
    /// - Returns: the number of records the segment holds, or nil when it cannot be read.
    @discardableResult
    public func forEachRecord(in name: SegmentName, skip: Int = 0, _ body: (JournalRecord) -> Void) -> Int? {
        var segment = name
        var contents = SegmentReader.contents(of: directory + "/" + segment.description, compressed: segment.isCompressed)
        if contents == nil {
            // Compressed (or removed) since the listing: try the other form.
            segment.isCompressed.toggle()
            contents = SegmentReader.contents(of: directory + "/" + segment.description, compressed: segment.isCompressed)
        }
        guard let contents else { return nil }
        return contents.withUnsafeBytes { raw in
            let scan = SegmentReader.scan(raw, maxPayload: JournalRecovery.maxPayload)
            for payload in scan.payloads.dropFirst(skip) {
                body(JournalRecord.decode(payload: UnsafeRawBufferPointer(rebasing: raw[payload])))
            }
            return scan.payloads.count
        }
    }

    /// Reads the records of a plain (active or not yet compressed) segment that start at or after
    /// byte `offset`, stopping before an incomplete record, for following a live journal without
    /// re-reading what was already printed.
    /// - Returns: the offset after the last whole record read, or nil when the file is gone.
    public func forEachNewRecord(in name: SegmentName, from offset: Int, _ body: (JournalRecord) -> Void) -> Int? {
        guard !name.isCompressed, let handle = FileHandle(forReadingAtPath: directory + "/" + name.description) else { return nil }
        defer { try? handle.close() }
        let start = max(offset, SegmentHeader.bytes)
        guard (try? handle.seek(toOffset: UInt64(start))) != nil, let data = try? handle.readToEnd() else { return offset }
        return data.withUnsafeBytes { raw in
            var position = 0
            while case .record(let payload, let next) = JournalRecord.scan(raw, at: position, maxPayload: JournalRecovery.maxPayload) {
                body(JournalRecord.decode(payload: UnsafeRawBufferPointer(rebasing: raw[payload])))
                position = next
            }
            return start + position
        }
    }

    /// The segments, in storage order.
    public func segments() -> [SegmentName] {
        SegmentName.list(in: directory)
    }

    /// What `journal stats` reports.
    public struct Stats: Sendable {
        public var segments = 0
        public var compressedSegments = 0
        public var records = 0
        public var bytesOnDisk = 0
        /// Segments whose end is not a whole record (repaired at the next start).
        public var tornTails = 0
        /// Torn tails repaired by earlier starts (from repairs.log).
        public var tornTailsRepaired = 0
        public var corruptRegions = 0
        public var oldestMilliseconds: Int64?
        public var newestMilliseconds: Int64?
    }

    public func stats() -> Stats {
        var stats = Stats()
        for name in segments() {
            let path = directory + "/" + name.description
            stats.segments += 1
            if name.isCompressed { stats.compressedSegments += 1 }
            stats.bytesOnDisk += ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0
            guard let contents = SegmentReader.contents(of: path, compressed: name.isCompressed) else { continue }
            contents.withUnsafeBytes { raw in
                let scan = SegmentReader.scan(raw, maxPayload: JournalRecovery.maxPayload)
                stats.records += scan.payloads.count
                if scan.tornTailBytes > 0 { stats.tornTails += 1 }
                stats.corruptRegions += scan.corruptRegions.count
                for payload in scan.payloads {
                    let receivedAt = JournalRecord.receivedAtMilliseconds(payload: UnsafeRawBufferPointer(rebasing: raw[payload]))
                    stats.oldestMilliseconds = min(stats.oldestMilliseconds ?? receivedAt, receivedAt)
                    stats.newestMilliseconds = max(stats.newestMilliseconds ?? receivedAt, receivedAt)
                }
            }
        }
        let log = (try? String(contentsOfFile: directory + "/repairs.log", encoding: .utf8)) ?? ""
        stats.tornTailsRepaired = log.split(separator: "\n").filter { $0.contains("torn tail") && $0.contains("truncated") }.count
        return stats
    }
}
