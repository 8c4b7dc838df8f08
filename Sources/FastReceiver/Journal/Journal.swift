import Foundation
import Glibc
import Synchronization

/// The durable store under `DATA_DIR/journal/`: one `WorkerJournal` (active segment and group
/// commit) per worker, the shared dedupe index, and background compression of sealed segments.
///
/// Opening it recovers every existing segment first: torn tails are truncated, corrupt records
/// in the middle are skipped and reported, and the dedupe index is rebuilt from recent records.
/// Recovery is never fatal.
public final class Journal: Sendable {
    public let directory: String
    public let workers: [WorkerJournal]
    public let dedupe: DedupeIndex
    public let recovery: RecoveryReport
    private let compressor: SegmentCompressor
    private let crossWaiters = WaiterCount()

    /// The worker index that marks a ticket recovered from disk at start (always durable).
    static let recoveredWorker = 0xFFFF

    /// Opens (and recovers) the journal.
    /// - Parameters:
    ///   - dataDirectory: `DATA_DIR`; the journal lives in its `journal/` folder.
    ///   - workerCount: one active segment per worker.
    ///   - wake: each worker's wake signal, rung when a batch of that worker resolves.
    /// - Throws: `ConfigurationError` when the directory cannot be used.
    public init(dataDirectory: String, workerCount: Int, settings: WorkerJournal.Settings = .init(),
                dedupeCapacity: Int = 1_000_000, dedupeWindowSeconds: Int64 = 86_400,
                io: JournalFileIO = PosixFileIO(), status: ServiceStatus, wake: [WakeSignal]) throws {
        directory = dataDirectory + "/journal"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ConfigurationError("The journal directory \(directory) cannot be created; check DATA_DIR and its permissions.")
        }
        guard access(directory, W_OK) == 0 else {
            throw ConfigurationError("The journal directory \(directory) is not writable; check its permissions.")
        }
        let dedupe = DedupeIndex(capacity: dedupeCapacity, windowSeconds: dedupeWindowSeconds)
        let compressor = SegmentCompressor()
        let recovery = JournalRecovery.run(directory: directory, dedupe: dedupe, compressor: compressor,
                                           now: Int64(Date().timeIntervalSince1970))
        self.dedupe = dedupe
        self.compressor = compressor
        self.recovery = recovery
        let crossWaiters = self.crossWaiters
        var made: [WorkerJournal] = []
        for worker in 0..<workerCount {
            let signals = wake
            made.append(try WorkerJournal(
                worker: worker, directory: directory, io: io, settings: settings, status: status, dedupe: dedupe,
                compressor: compressor, firstSegmentSequence: 0,
                onResolved: { [crossWaiters] in
                    if worker < signals.count { signals[worker].signal() }
                    if crossWaiters.value.load(ordering: .relaxed) > 0 {
                        for (index, signal) in signals.enumerated() where index != worker { signal.signal() }
                    }
                }))
        }
        workers = made
    }

    /// Each worker journal's sync metrics.
    public var metrics: [JournalMetrics] { workers.map(\.metrics) }

    /// Segment files in the journal directory now.
    public var segmentCount: Int { SegmentName.list(in: directory).count }

    /// Where the record behind `ticket` stands.
    public func state(of ticket: DurabilityTicket) -> WorkerJournal.RecordState {
        guard ticket.worker < workers.count else { return .durable }
        return workers[ticket.worker].state(of: ticket.sequence)
    }

    /// A worker starts (+1) or stops (-1) waiting on another worker's record: while any do,
    /// every resolved batch wakes every worker.
    public func noteCrossWorkerWait(_ delta: Int) {
        crossWaiters.value.wrappingAdd(delta, ordering: .relaxed)
    }

    /// Syncs and closes every worker journal, then finishes pending compression.
    public func close() {
        for worker in workers { worker.close() }
        compressor.close()
    }
}

/// How many workers wait on another worker's record.
final class WaiterCount: Sendable {
    let value = Atomic<Int>(0)
}

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
    /// Ids put back into the dedupe index.
    public var dedupeEntriesRestored = 0
    /// One line per repair, for the log.
    public var notes: [String] = []
}

/// The start-up scan of every segment.
enum JournalRecovery {
    /// The largest record payload recovery accepts (far above any body limit).
    static let maxPayload = 256 << 20

    static func run(directory: String, dedupe: DedupeIndex, compressor: SegmentCompressor, now: Int64) -> RecoveryReport {
        var report = RecoveryReport()
        for name in SegmentName.list(in: directory) {
            let path = directory + "/" + name.description
            guard let contents = SegmentReader.contents(of: path, compressed: name.isCompressed) else {
                report.notes.append("\(name): cannot be read; left in place")
                continue
            }
            if !name.isCompressed, contents.count < SegmentHeader.bytes || !contents.withUnsafeBytes(SegmentHeader.isValid) {
                if contents.count < SegmentHeader.bytes {
                    unlink(path)
                    report.emptySegmentsRemoved += 1
                    report.notes.append("\(name): \(contents.count) bytes and no header; removed")
                } else {
                    rename(path, path + ".corrupt")
                    report.notes.append("\(name): not a segment (bad header); renamed to \(name).corrupt")
                }
                continue
            }
            if !name.isCompressed, contents.count == SegmentHeader.bytes {
                unlink(path)
                report.emptySegmentsRemoved += 1
                continue
            }
            report.segments += 1
            contents.withUnsafeBytes { raw in
                let scan = SegmentReader.scan(raw, maxPayload: maxPayload)
                report.records += scan.payloads.count
                for region in scan.corruptRegions {
                    report.corruptRegionsSkipped += 1
                    report.notes.append("\(name): \(region.length) corrupt bytes at offset \(region.offset) skipped; records after them kept")
                }
                if scan.tornTailBytes > 0 {
                    if name.isCompressed {
                        report.notes.append("\(name): \(scan.tornTailBytes) bytes after the last record are unreadable")
                    } else if truncate(path, off_t(scan.validEnd)) == 0 {
                        report.tornTailsRepaired += 1
                        report.tornBytesRemoved += scan.tornTailBytes
                        report.notes.append("\(name): torn tail of \(scan.tornTailBytes) bytes truncated at offset \(scan.validEnd)")
                        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
                        if descriptor >= 0 {
                            fsync(descriptor)
                            close(descriptor)
                        }
                    } else {
                        report.notes.append("\(name): torn tail of \(scan.tornTailBytes) bytes could not be truncated: \(SystemError("truncate"))")
                    }
                }
                for range in scan.payloads {
                    let payload = UnsafeRawBufferPointer(rebasing: raw[range])
                    let receivedAt = JournalRecord.receivedAtMilliseconds(payload: payload) / 1000
                    guard now - receivedAt <= dedupe.windowSeconds else { continue }
                    let idRange = JournalRecord.eventID(payload: payload)
                    guard !idRange.isEmpty else { continue }
                    let id = UnsafeRawBufferPointer(rebasing: payload[idRange])
                    if dedupe.claim(EventKey(id), ticket: DurabilityTicket(worker: Journal.recoveredWorker, sequence: 0), now: receivedAt) == .new {
                        report.dedupeEntriesRestored += 1
                    }
                }
            }
            if !name.isCompressed {
                // Every segment found at start is sealed: new records go to new segments.
                compressor.enqueue(path)
            }
        }
        if !report.notes.isEmpty {
            let stamp = RFC3339.now()
            let lines = report.notes.map { "\(stamp) \($0)\n" }.joined()
            if let handle = FileHandle(forWritingAtPath: directory + "/repairs.log") ?? {
                FileManager.default.createFile(atPath: directory + "/repairs.log", contents: nil)
                return FileHandle(forWritingAtPath: directory + "/repairs.log")
            }() {
                handle.seekToEndOfFile()
                handle.write(Data(lines.utf8))
                try? handle.synchronize()
                try? handle.close()
            }
        }
        return report
    }
}
