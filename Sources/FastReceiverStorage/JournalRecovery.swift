internal import FastReceiverSystem
internal import Glibc

/// What recovery found and did.
public struct RecoveryReport: Sendable, Equatable {
    public var segments = 0
    public var records = 0
    /// Segments whose last record was incomplete or corrupt, truncated to their last good record.
    public var tornTailsRepaired = 0
    public var tornBytesRemoved = 0
    /// Corrupt regions in the middle of segments, skipped (the records around them are kept).
    public var corruptRegionsSkipped = 0
    /// Segments with no header (created by a process that died at once), removed.
    public var emptySegmentsRemoved = 0
    /// Files named like segments that were not read: not regular files, unreadable, or larger
    /// (on disk or inflated) than any segment the server writes. Left in place.
    public var segmentsNotRead = 0
    /// Ids put back into the dedupe index.
    public var dedupeEntriesRestored = 0
    /// One line per repair, for the log.
    public var notes: [String] = []
}

/// The start-up scan of every segment.
enum JournalRecovery {
    /// Scans every segment in `directory`, repairs what it can and restores the dedupe index,
    /// then appends one line per repair to `repairs.log`. Never fatal; time linear in the
    /// journal's size, memory bounded by `segmentLimit`.
    /// - Parameters:
    ///   - segmentLimit: the largest segment the server writes; larger files are left unread.
    ///   - now: Unix seconds, to restore only ids younger than the dedupe window.
    static func run(directory: String, segmentLimit: Int, dedupe: DedupeIndex, compressor: SegmentCompressor, now: Int64) -> RecoveryReport {
        var report = RecoveryReport()
        for name in SegmentName.list(in: directory) {
            recover(name, path: directory + "/" + name.description, segmentLimit: segmentLimit, dedupe: dedupe, compressor: compressor,
                    now: now, into: &report)
        }
        if !report.notes.isEmpty {
            appendToRepairsLog(report.notes, directory: directory)
        }
        return report
    }

    private static func recover(_ name: SegmentName, path: String, segmentLimit: Int, dedupe: DedupeIndex, compressor: SegmentCompressor,
                                now: Int64, into report: inout RecoveryReport) {
        let opened = name.isCompressed ? SegmentReader.inflate(path, limit: segmentLimit) : SegmentReader.map(path, limit: segmentLimit)
        let segment: SegmentBytes
        switch opened {
        case .success(let bytes):
            segment = bytes
        case .failure(let failure):
            report.segmentsNotRead += 1
            report.notes.append("\(name) \(failure); left in place, not read")
            return
        }
        if let inflated = segment.inflatedBeforeDamage {
            report.notes.append("\(name): compressed data is damaged after \(inflated) inflated bytes; the records before it are kept")
        }
        let hasHeader = segment.withBytes(SegmentHeader.isValid)
        if !name.isCompressed {
            // Created by a process that died at once, or not a segment at all.
            if segment.count < SegmentHeader.bytes {
                unlink(path)
                report.emptySegmentsRemoved += 1
                report.notes.append("\(name): \(segment.count) bytes and no header; removed")
                return
            }
            if !hasHeader {
                rename(path, path + ".corrupt")
                report.notes.append("\(name): not a segment (bad header); renamed to \(name).corrupt")
                return
            }
            if segment.count == SegmentHeader.bytes {
                unlink(path)
                report.emptySegmentsRemoved += 1
                return
            }
        }
        guard hasHeader else {
            report.segmentsNotRead += 1
            report.notes.append("\(name): not a segment (bad header); left in place, not read")
            return
        }
        report.segments += 1
        let (validEnd, tornBytes) = segment.withBytes { raw in
            var scanner = SegmentScanner(raw, from: SegmentHeader.bytes)
            while let item = scanner.next() {
                switch item {
                case .record(let payload):
                    report.records += 1
                    if restore(UnsafeRawBufferPointer(rebasing: raw[payload]), into: dedupe, now: now) { report.dedupeEntriesRestored += 1 }
                case .skipped(let offset, let length):
                    report.corruptRegionsSkipped += 1
                    report.notes.append("\(name): \(length) corrupt bytes at offset \(offset) skipped; records after them kept")
                }
            }
            return (scanner.offset, scanner.tailBytes)
        }
        if tornBytes > 0 {
            if name.isCompressed {
                report.notes.append("\(name): \(tornBytes) bytes after the last record are unreadable")
            } else if let error = truncate(path, to: validEnd) {
                report.notes.append("\(name): torn tail of \(tornBytes) bytes could not be truncated: \(error)")
            } else {
                report.tornTailsRepaired += 1
                report.tornBytesRemoved += tornBytes
                report.notes.append("\(name): torn tail of \(tornBytes) bytes truncated at offset \(validEnd)")
            }
        }
        if !name.isCompressed {
            // Every segment found at start is sealed: new records go to new segments.
            compressor.enqueue(path)
        }
    }

    /// Puts a recovered record's id back into the dedupe index if it is younger than the window.
    /// - Returns: whether the id was new to the index.
    private static func restore(_ payload: UnsafeRawBufferPointer, into dedupe: DedupeIndex, now: Int64) -> Bool {
        // Any Int64 may be on disk: seconds stay far from overflow, and `now - window` is a real time.
        let receivedAt = JournalRecord.receivedAtMilliseconds(payload: payload) / 1000
        let idRange = JournalRecord.eventID(payload: payload)
        guard receivedAt >= now - dedupe.windowSeconds, !idRange.isEmpty else { return false }
        let id = UnsafeRawBufferPointer(rebasing: payload[idRange])
        // A time in the future (a clock that was wrong, or a damaged record) counts as now.
        let claim = dedupe.claim(EventKey(id), ticket: DurabilityTicket(worker: Journal.recoveredWorker, sequence: 0), now: min(receivedAt, now))
        return claim == .new
    }

    /// Truncates a segment (never through a symlink) and makes the new length durable.
    /// - Returns: the error, or nil.
    private static func truncate(_ path: String, to length: Int) -> SystemError? {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else { return SystemError("open") }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(length)) == 0 else { return SystemError("ftruncate") }
        guard fsync(descriptor) == 0 else { return SystemError("fsync") }
        return nil
    }

    /// Appends the notes, each stamped with the time, to `repairs.log` and syncs it. Only to a
    /// regular file: a FIFO or symlink in its place is left alone rather than block or redirect
    /// the start.
    private static func appendToRepairsLog(_ notes: [String], directory: String) {
        let path = directory + "/repairs.log"
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o640)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return }
        let stamp = RFC3339.now()
        let lines = notes.map { "\(stamp) \($0)\n" }.joined()
        _ = Array(lines.utf8).withUnsafeBytes { PosixFileIO().write(descriptor, $0) }
        _ = fsync(descriptor)
    }
}
