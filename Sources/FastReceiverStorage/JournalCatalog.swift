internal import FastReceiverJSON
internal import FastReceiverSystem
internal import Foundation
internal import Glibc

/// Reads a journal directory for `journal cat` and `journal stats`, without a running server:
/// plain and compressed segments alike, in storage order, with the same scan as recovery.
///
/// Runs beside a live server: plain segments are read into memory rather than mapped (the
/// server truncates a live segment after a failed write), and each worker's newest plain
/// segment is read as live (an incomplete record at its end may be a write in progress).
public struct JournalCatalog {
    public let directory: String
    /// The largest segment read (`WorkerJournal.Settings.largestSegmentBytes`); a larger file,
    /// on disk or inflated, is reported and left unread.
    public let segmentLimit: Int

    /// - Parameters:
    ///   - dataDirectory: `DATA_DIR` (the journal is its `journal/` folder).
    ///   - segmentBytes: the server's `--segment-bytes`. Default 64 MiB.
    public init(dataDirectory: String, segmentBytes: Int = WorkerJournal.Settings().segmentMaxBytes) {
        directory = dataDirectory + "/journal"
        segmentLimit = WorkerJournal.Settings.largestSegmentBytes(segmentMaxBytes: segmentBytes)
    }

    /// The segments, in storage order.
    public func segments() -> [SegmentName] {
        SegmentName.list(in: directory)
    }

    /// The segments a running server may still append to: each worker's newest, while plain.
    public static func liveSegments(among names: [SegmentName]) -> Set<SegmentName> {
        var newest: [Int: SegmentName] = [:]
        for name in names where newest[name.worker].map({ $0 < name }) ?? true {
            newest[name.worker] = name
        }
        return Set(newest.values.filter { !$0.isCompressed })
    }

    // MARK: lines

    /// One stored event as `journal cat` prints it: one line, always a valid JSON object.
    ///
    /// `{"receivedAt":"<RFC 3339>","eventId":"<id>","event":<body>}`, where:
    /// - `receivedAt` is null, followed by `"receivedAtMilliseconds":<n>`, for a time RFC 3339
    ///   cannot write (outside years 0000–9999: only a damaged or crafted record holds one);
    /// - `eventId` is the stored id as a JSON string (escaped per RFC 8259); null when the record
    ///   has none; null, followed by `"rawEventId":"<base64>"`, when its bytes are not UTF-8;
    /// - `event` is the body verbatim (line breaks between tokens made spaces) when it is a JSON
    ///   object; otherwise null, followed by `"rawBody":"<base64>"`.
    public static func line(for record: JournalRecord) -> String {
        var line = "{\"receivedAt\":"
        if RFC3339.representableMilliseconds.contains(record.receivedAtMilliseconds) {
            line += "\"" + RFC3339.string(unixMilliseconds: record.receivedAtMilliseconds) + "\""
        } else {
            line += "null,\"receivedAtMilliseconds\":\(record.receivedAtMilliseconds)"
        }
        line += ",\"eventId\":"
        if record.eventID.isEmpty {
            line += "null"
        } else if let id = String(validating: record.eventID, as: UTF8.self) {
            line += JSONStringLiteral.quoted(id)
        } else {
            line += "null,\"rawEventId\":\"" + Data(record.eventID).base64EncodedString() + "\""
        }
        line += ",\"event\":"
        let isObject = record.body.withUnsafeBytes { raw in (try? JSONReader(raw, maxDepth: 128).forEachMember { _ in }) != nil }
        if isObject {
            // A valid object holds CR and LF only between tokens (never raw inside a string),
            // where a space means the same.
            line += String(decoding: record.body.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }, as: UTF8.self)
        } else {
            line += "null,\"rawBody\":\"" + Data(record.body).base64EncodedString() + "\""
        }
        return line + "}"
    }

    /// A Unix time in milliseconds for people: RFC 3339, or the number when RFC 3339 cannot
    /// write it.
    public static func timeText(_ milliseconds: Int64) -> String {
        RFC3339.representableMilliseconds.contains(milliseconds)
            ? RFC3339.string(unixMilliseconds: milliseconds)
            : "\(milliseconds) ms since 1970 (outside years 0000-9999)"
    }

    // MARK: reading segments

    /// Something found wrong with a segment while reading it.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// The file was not read at all (not a regular file, unreadable, or too large).
        case notRead(reason: String)
        /// The file does not start with a segment header.
        case notASegment(bytes: Int)
        /// The compressed stream broke after this many inflated bytes; the records before are read.
        case damagedCompression(inflatedBytes: Int)
        /// Bytes that are not a valid record, followed by one; skipped.
        case corrupt(offset: Int, length: Int)
        /// Bytes after the last record of a sealed segment that are not a whole record.
        case tornTail(offset: Int, length: Int)

        public var description: String {
            switch self {
            case .notRead(let reason): "\(reason); left in place, not read"
            case .notASegment(let bytes): "not a segment (\(bytes) bytes, no segment header); not read"
            case .damagedCompression(let inflated): "compressed data is damaged after \(inflated) inflated bytes; the records before it are read"
            case .corrupt(let offset, let length): "\(length) corrupt bytes at offset \(offset) skipped; records after them kept"
            case .tornTail(let offset, let length): "\(length) bytes at offset \(offset), after the last record, are not a whole record"
            }
        }
    }

    /// Where reading a segment stands between calls of `read`.
    public struct Progress: Sendable, Equatable {
        /// The segment offset reading continues from.
        public internal(set) var offset = 0
        /// The segment is sealed and was read to its end: nothing more will come.
        public internal(set) var isFinished = false
        /// A live segment is read again only once its file has this many bytes.
        var awaitedSize = 0

        /// - Parameter offset: where reading starts: 0 for the first record, or an offset a
        ///   previous read reported as the end of a record.
        public init(offset: Int = 0) {
            self.offset = offset
        }
    }

    /// Reads the records of one segment from where `progress` stands.
    /// - Parameters:
    ///   - isLive: whether a running server may still append to it (see `liveSegments`):
    ///     reading stops before an incomplete record and resumes there on the next call.
    ///   - progress: updated to where reading got; pass the same value on the next call.
    ///   - problem: called with what is wrong with the segment, once each.
    ///   - payload: called with each record's payload, in order.
    public func read(_ name: SegmentName, isLive: Bool, progress: inout Progress, problem: (Problem) -> Void,
                     payload: (UnsafeRawBufferPointer) -> Void) {
        read(name, isLive: isLive, progress: &progress, problem: problem) { record, _ in
            payload(record)
            return true
        }
    }

    /// Reads the records of one segment from where `progress` stands, each with the segment
    /// offset just past it, until the end or until `record` declines one.
    ///
    /// For a reader that must know exactly how far it got (the forwarder, which commits that
    /// offset with the records it wrote): the next call starts with the record declined.
    /// - Parameters:
    ///   - isLive: as for `read(_:isLive:progress:problem:payload:)`.
    ///   - progress: updated to where reading got.
    ///   - problem: called with what is wrong with the segment, once each.
    ///   - record: called with each record's payload and the offset after it; returns whether
    ///     it took the record. False stops reading before it.
    public func read(_ name: SegmentName, isLive: Bool, progress: inout Progress, problem: (Problem) -> Void,
                     record: (_ payload: UnsafeRawBufferPointer, _ end: Int) -> Bool) {
        guard !progress.isFinished else { return }
        let plainPath = directory + "/" + name.baseName
        var isLive = isLive && !name.isCompressed
        if isLive, let size = Self.fileSize(plainPath), size < progress.awaitedSize { return }
        var opened: Result<SegmentBytes, SegmentReader.Failure>
        if name.isCompressed {
            opened = SegmentReader.inflate(plainPath + ".gz", limit: segmentLimit)
        } else {
            opened = SegmentReader.read(plainPath, from: progress.offset, limit: segmentLimit)
            if case .failure(.unreadable(_, ENOENT)) = opened {
                // Compressed since the listing: the compressed file holds the same bytes.
                isLive = false
                opened = SegmentReader.inflate(plainPath + ".gz", limit: segmentLimit)
            }
        }
        let segment: SegmentBytes
        switch opened {
        case .success(let bytes):
            segment = bytes
        case .failure(.unreadable(_, ENOENT)):
            // Removed since the listing (a segment that never received a record): nothing to read.
            progress.isFinished = true
            return
        case .failure(let failure):
            problem(.notRead(reason: "\(failure)"))
            progress.isFinished = true
            return
        }
        if let inflated = segment.inflatedBeforeDamage { problem(.damagedCompression(inflatedBytes: inflated)) }
        segment.withBytes { raw in
            // A plain file cut shorter than the offset reached (the server takes back a batch
            // whose write failed) continues from its new end, where the next batch will go.
            var start = min(max(progress.offset, SegmentHeader.bytes) - segment.offset, raw.count)
            if segment.offset == 0 {
                guard SegmentHeader.isValid(raw) else {
                    if isLive && raw.count < SegmentHeader.bytes {
                        progress.awaitedSize = SegmentHeader.bytes  // the header is being written
                    } else {
                        problem(.notASegment(bytes: raw.count))
                        progress.isFinished = true
                    }
                    return
                }
                start = max(start, SegmentHeader.bytes)
            }
            var scanner = SegmentScanner(raw, from: start, isLive: isLive)
            while let item = scanner.next() {
                switch item {
                case .record(let range):
                    guard record(UnsafeRawBufferPointer(rebasing: raw[range]), segment.offset + range.upperBound) else {
                        progress.offset = segment.offset + range.lowerBound - JournalRecord.headerBytes
                        progress.awaitedSize = 0
                        return
                    }
                case .skipped(let offset, let length): problem(.corrupt(offset: segment.offset + offset, length: length))
                }
            }
            progress.offset = segment.offset + scanner.offset
            if isLive {
                progress.awaitedSize = segment.offset + (scanner.awaitedCount ?? raw.count + 1)
            } else {
                if scanner.tailBytes > 0 { problem(.tornTail(offset: progress.offset, length: scanner.tailBytes)) }
                progress.isFinished = true
            }
        }
    }

    /// Calls `body` with every record of a segment, read as sealed.
    /// - Returns: the number of records, or nil when the segment could not be read.
    @discardableResult
    public func forEachRecord(in name: SegmentName, _ body: (JournalRecord) -> Void) -> Int? {
        var progress = Progress()
        var count = 0
        var isRead = true
        read(name, isLive: false, progress: &progress, problem: { if case .notRead = $0 { isRead = false } }) { payload in
            count += 1
            body(JournalRecord.decode(payload: payload))
        }
        return isRead ? count : nil
    }

    private static func fileSize(_ path: String) -> Int? {
        var status = stat()
        return lstat(path, &status) == 0 ? Int(status.st_size) : nil
    }

    // MARK: stats

    /// What `journal stats` reports.
    public struct Stats: Sendable {
        public var segments = 0
        public var compressedSegments = 0
        public var records = 0
        public var bytesOnDisk = 0
        /// Segments not read: not regular files, unreadable, not segments, or too large.
        public var segmentsNotRead = 0
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
            stats.segments += 1
            if name.isCompressed { stats.compressedSegments += 1 }
            stats.bytesOnDisk += Self.fileSize(directory + "/" + name.description) ?? 0
            var progress = Progress()
            read(name, isLive: false, progress: &progress, problem: { problem in
                switch problem {
                case .notRead, .notASegment: stats.segmentsNotRead += 1
                case .tornTail: stats.tornTails += 1
                case .corrupt: stats.corruptRegions += 1
                case .damagedCompression: break
                }
            }) { payload in
                let receivedAt = JournalRecord.receivedAtMilliseconds(payload: payload)
                stats.records += 1
                stats.oldestMilliseconds = min(stats.oldestMilliseconds ?? receivedAt, receivedAt)
                stats.newestMilliseconds = max(stats.newestMilliseconds ?? receivedAt, receivedAt)
            }
        }
        stats.tornTailsRepaired = Self.countLines(in: directory + "/repairs.log") { $0.contains("torn tail of ") && $0.contains(" truncated at offset ") }
        return stats
    }

    /// Counts the lines of a text file that `matches` accepts, reading it in pieces: memory
    /// stays small however large the file or its lines (each line is judged by its first 1 KiB).
    static func countLines(in path: String, where matches: (Substring) -> Bool) -> Int {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return 0 }
        var count = 0
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else { break }
            for byte in chunk[..<read] {
                if byte == 0x0A {
                    if matches(Substring(decoding: line, as: UTF8.self)) { count += 1 }
                    line.removeAll(keepingCapacity: true)
                } else if line.count < 1024 {
                    line.append(byte)
                }
            }
        }
        return count
    }
}
