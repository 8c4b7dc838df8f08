internal import FastReceiverSystem
internal import Foundation
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
    /// Segments without records, removed: no header (created by a process that died at once),
    /// or a header and nothing after it but zeros (never written to).
    public var emptySegmentsRemoved = 0
    /// Files named like segments that were not read: not regular files, unreadable, or larger
    /// (on disk or inflated) than any segment the server writes. Left in place.
    public var segmentsNotRead = 0
    /// Ids put back into the dedupe index.
    public var dedupeEntriesRestored = 0
    /// One line per repair, for the log.
    public var notes: [String] = []
}

/// The start-up pass over every segment, in four steps: scan each segment's records, reindex
/// their ids into the dedupe index as they are read, repair what the scan found (truncate a torn
/// tail, remove an empty segment, set aside a file that is not one), and report every repair in
/// `repairs.log`.
enum JournalRecovery {
    /// What scanning one segment found.
    enum Scan {
        /// The file was not read (see `SegmentReader.Failure`).
        case notRead(SegmentReader.Failure)
        /// The file does not start with a segment header; it holds this many bytes.
        case noHeader(bytes: Int)
        case scanned(Findings)
    }

    /// The records of a segment with a header, and what is wrong with it.
    struct Findings {
        var records = 0
        /// Corrupt regions followed by a valid record: offset and length.
        var skipped: [(offset: Int, length: Int)] = []
        /// Where the last record ends: the segment's valid length.
        var validEnd = 0
        /// Bytes after the last record that are not a record (zeros of unwritten space are not).
        var tornBytes = 0
        /// For a damaged compressed segment: how many bytes inflated before the damage.
        var inflatedBeforeDamage: Int?
    }

    /// Recovers every segment in `directory`. Never fatal; time linear in the journal's size,
    /// memory bounded by `segmentLimit`.
    /// - Parameters:
    ///   - segmentLimit: the largest segment the server writes; larger files are left unread.
    ///   - now: Unix seconds, to restore only ids younger than the dedupe window.
    static func run(directory: String, segmentLimit: Int, dedupe: DedupeIndex, compressor: SegmentCompressor, now: Int64) -> RecoveryReport {
        var report = RecoveryReport()
        removePreparedSegments(in: directory)
        for name in SegmentName.list(in: directory) {
            let path = directory + "/" + name.description
            let scan = scan(name, path: path, segmentLimit: segmentLimit) { payload in
                if reindex(payload, into: dedupe, now: now) { report.dedupeEntriesRestored += 1 }
            }
            repair(name, path: path, after: scan, compressor: compressor, into: &report)
        }
        Self.report(report.notes, directory: directory)
        return report
    }

    /// Reads a segment's records in order, calling `record` with each payload.
    static func scan(_ name: SegmentName, path: String, segmentLimit: Int, record: (UnsafeRawBufferPointer) -> Void) -> Scan {
        let opened = name.isCompressed ? SegmentReader.inflate(path, limit: segmentLimit) : SegmentReader.map(path, limit: segmentLimit)
        let segment: SegmentBytes
        switch opened {
        case .success(let bytes): segment = bytes
        case .failure(let failure): return .notRead(failure)
        }
        return segment.withBytes { raw in
            guard SegmentHeader.isValid(raw) else { return .noHeader(bytes: raw.count) }
            var findings = Findings(inflatedBeforeDamage: segment.inflatedBeforeDamage)
            var scanner = SegmentScanner(raw, from: SegmentHeader.bytes)
            while let item = scanner.next() {
                switch item {
                case .record(let payload):
                    findings.records += 1
                    record(UnsafeRawBufferPointer(rebasing: raw[payload]))
                case .skipped(let offset, let length):
                    findings.skipped.append((offset, length))
                }
            }
            findings.validEnd = scanner.offset
            findings.tornBytes = scanner.tailBytes
            return .scanned(findings)
        }
    }

    /// Puts a recovered record's id back into the dedupe index if it is younger than the window.
    /// - Returns: whether the id was new to the index.
    static func reindex(_ payload: UnsafeRawBufferPointer, into dedupe: DedupeIndex, now: Int64) -> Bool {
        // Any Int64 may be on disk: seconds stay far from overflow, and `now - window` is a real time.
        let receivedAt = JournalRecord.receivedAtMilliseconds(payload: payload) / 1000
        let idRange = JournalRecord.eventID(payload: payload)
        guard receivedAt >= now - dedupe.windowSeconds, !idRange.isEmpty else { return false }
        let id = UnsafeRawBufferPointer(rebasing: payload[idRange])
        // A time in the future (a clock that was wrong, or a damaged record) counts as now.
        let claim = dedupe.claim(EventKey(id), ticket: DurabilityTicket(worker: Journal.recoveredWorker, sequence: 0), now: min(receivedAt, now))
        return claim == .new
    }

    /// Acts on what the scan found, counting and noting each repair. A plain segment is sealed
    /// (new records always go to new segments): its records are queued for compression.
    static func repair(_ name: SegmentName, path: String, after scan: Scan, compressor: SegmentCompressor, into report: inout RecoveryReport) {
        let findings: Findings
        switch scan {
        case .notRead(let failure):
            report.segmentsNotRead += 1
            report.notes.append("\(name) \(failure); left in place, not read")
            return
        case .noHeader where name.isCompressed:
            report.segmentsNotRead += 1
            report.notes.append("\(name): not a segment (bad header); left in place, not read")
            return
        case .noHeader(let bytes) where bytes < SegmentHeader.bytes:
            // Created by a process that died at once.
            unlink(path)
            report.emptySegmentsRemoved += 1
            report.notes.append("\(name): \(bytes) bytes and no header; removed")
            return
        case .noHeader:
            rename(path, path + ".corrupt")
            report.notes.append("\(name): not a segment (bad header); renamed to \(name).corrupt")
            return
        case .scanned(let scanned):
            findings = scanned
        }
        if let inflated = findings.inflatedBeforeDamage {
            report.notes.append("\(name): compressed data is damaged after \(inflated) inflated bytes; the records before it are kept")
        }
        if !name.isCompressed, findings.records == 0, findings.skipped.isEmpty, findings.tornBytes == 0 {
            // A header and nothing else, or a prepared segment never written to: only noise.
            unlink(path)
            report.emptySegmentsRemoved += 1
            return
        }
        report.segments += 1
        report.records += findings.records
        for (offset, length) in findings.skipped {
            report.corruptRegionsSkipped += 1
            report.notes.append("\(name): \(length) corrupt bytes at offset \(offset) skipped; records after them kept")
        }
        if findings.tornBytes > 0 {
            if name.isCompressed {
                report.notes.append("\(name): \(findings.tornBytes) bytes after the last record are unreadable")
            } else if let error = truncate(path, to: findings.validEnd) {
                report.notes.append("\(name): torn tail of \(findings.tornBytes) bytes could not be truncated: \(error)")
            } else {
                report.tornTailsRepaired += 1
                report.tornBytesRemoved += findings.tornBytes
                report.notes.append("\(name): torn tail of \(findings.tornBytes) bytes truncated at offset \(findings.validEnd)")
            }
        }
        if !name.isCompressed {
            compressor.enqueue(path, validBytes: findings.validEnd)
        }
    }

    /// Removes segments a previous run prepared but never used (`SegmentPreparer`).
    static func removePreparedSegments(in directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasSuffix(SegmentPreparer.suffix)
            && SegmentName(fileName: String(name.dropLast(SegmentPreparer.suffix.count))) != nil {
            unlink(directory + "/" + name)
        }
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
    static func report(_ notes: [String], directory: String) {
        guard !notes.isEmpty else { return }
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
