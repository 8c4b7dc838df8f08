internal import FastReceiverSystem
internal import Foundation
internal import Glibc

/// One worker journal's active segment, owned by that journal's sync thread alone: writes
/// batches into it, syncs them, and replaces it with the next segment when it is full or old.
///
/// With `--durability fsync` each segment is prepared ahead (`SegmentPreparer`): zero-filled to
/// `segmentMaxBytes` before use, so that records overwrite written blocks and a group commit's
/// fdatasync carries data only. The first segment is prepared when the writer is made; the next
/// is asked for once the active one is an eighth full or half its age limit old, so it is ready
/// at rotation. Should it not be (preparation failed, for example for want of disk space), the
/// next segment is created empty and grows as it is written, as every segment does with
/// `--durability write`.
final class SegmentWriter {
    /// The segment being written.
    private struct Active {
        let name: SegmentName
        let descriptor: Int32
        /// Bytes up to the end of the last record written: the segment's valid length.
        var bytes: Int
        /// When it was opened, on the monotonic clock.
        let openedAtMilliseconds: Int
    }

    private let worker: Int
    private let directory: String
    private let io: any JournalFileIO
    private let settings: WorkerJournal.Settings
    private let preparer: SegmentPreparer?
    private let compressor: SegmentCompressor?
    private let metrics: JournalMetrics
    private var active: Active?
    private var lastSequence: Int
    private var isSuccessorRequested = false

    /// Opens the first segment, prepared on the calling thread when `preparer` is given.
    /// - Parameters:
    ///   - preparer: prepares segments ahead of use; nil for segments that grow as written.
    ///   - compressor: compresses each sealed segment; nil to leave sealed segments plain.
    ///   - firstSequence: the sequence number of the first segment's name is one more.
    /// - Throws: `SystemError` when the first segment cannot be created.
    init(worker: Int, directory: String, io: any JournalFileIO, settings: WorkerJournal.Settings, preparer: SegmentPreparer?,
         compressor: SegmentCompressor?, metrics: JournalMetrics, firstSequence: Int) throws {
        self.worker = worker
        self.directory = directory
        self.io = io
        self.settings = settings
        self.preparer = preparer
        self.compressor = compressor
        self.metrics = metrics
        lastSequence = firstSequence
        let next = nextName()
        let prepared = preparer?.prepare(next, bytes: settings.segmentMaxBytes)
        if let error = open(next, prepared: prepared) { throw error }
    }

    /// Whether the active segment holds any record.
    var hasRecords: Bool { (active?.bytes ?? 0) > SegmentHeader.bytes }

    /// Whether the active segment must be sealed before `count` more bytes are written: it has
    /// records, and they would take it past `segmentMaxBytes`, or it is older than the age limit.
    func isDue(adding count: Int) -> Bool {
        guard let active, hasRecords else { return false }
        return active.bytes + count > settings.segmentMaxBytes
            || MonotonicClock.milliseconds() - active.openedAtMilliseconds > settings.segmentMaxAgeMilliseconds
    }

    /// Writes a batch at the end of the active segment's records.
    /// - Returns: nil, or the failure; the segment is then cut back to its records before the batch.
    func write(_ batch: UnsafeRawBufferPointer) -> SystemError? {
        guard let descriptor = active?.descriptor, let bytes = active?.bytes else { return SystemError("write", errno: EBADF) }
        let error = io.write(descriptor, batch)
        guard error == 0 else {
            // Take back whatever part of the batch reached the file: it was never acknowledged.
            _ = io.truncate(descriptor, to: bytes)
            return SystemError("write", errno: error)
        }
        active?.bytes += batch.count
        requestSuccessorIfDue()
        return nil
    }

    /// Makes what was written durable (`fdatasync`), timing it.
    /// - Returns: nil, or the failure.
    func sync() -> SystemError? {
        guard let descriptor = active?.descriptor else { return SystemError("fdatasync", errno: EBADF) }
        let started = MonotonicClock.microseconds()
        let error = io.dataSync(descriptor)
        metrics.syncLatency.observe(Int64(MonotonicClock.microseconds() - started))
        return error == 0 ? nil : SystemError("fdatasync", errno: error)
    }

    /// Seals the active segment (its records are already synced) and opens the next one.
    /// - Returns: nil, or why the next segment could not be opened (there is then none).
    func rotate() -> SystemError? {
        seal()
        let prepared = preparer?.take(worker: worker)
        let name = prepared?.name ?? nextName()
        return open(name, prepared: prepared)
    }

    /// Closes the active segment, leaving it plain for the next start to seal, or removing it
    /// if it has no record.
    func close() {
        seal(compressing: false)
    }

    /// Closes the active segment and hands it to the compressor, which compresses its records
    /// only; a segment without records is removed instead.
    private func seal(compressing: Bool = true) {
        guard let sealed = active else { return }
        active = nil
        io.close(sealed.descriptor)
        let path = directory + "/" + sealed.name.description
        if sealed.bytes <= SegmentHeader.bytes {
            unlink(path)
        } else if compressing {
            compressor?.enqueue(path, validBytes: sealed.bytes)
        }
    }

    /// Makes `name` the active segment, durable under its name before any record goes in: a
    /// prepared one is renamed into place, otherwise the file is created with its header; then
    /// the directory is synced.
    private func open(_ name: SegmentName, prepared: PreparedSegment?) -> SystemError? {
        let path = directory + "/" + name.description
        let descriptor: Int32
        if let prepared {
            let error = io.rename(prepared.path, to: path)
            guard error == 0 else {
                io.close(prepared.descriptor)
                unlink(prepared.path)
                return SystemError("renaming \(prepared.path)", errno: error)
            }
            descriptor = prepared.descriptor
        } else {
            descriptor = io.open(path, create: true)
            guard descriptor >= 0 else { return SystemError("creating \(path)", errno: -descriptor) }
            let header = SegmentHeader.encode(createdAtMilliseconds: name.createdAtMilliseconds)
            var error = header.withUnsafeBytes { io.write(descriptor, $0) }
            if error == 0 { error = io.dataSync(descriptor) }
            if error != 0 {
                io.close(descriptor)
                unlink(path)
                return SystemError("writing the header of \(path)", errno: error)
            }
        }
        let error = io.syncDirectory(directory)
        guard error == 0 else {
            io.close(descriptor)
            unlink(path)
            return SystemError("fsync of \(directory)", errno: error)
        }
        lastSequence = name.sequence
        active = Active(name: name, descriptor: descriptor, bytes: SegmentHeader.bytes, openedAtMilliseconds: MonotonicClock.milliseconds())
        isSuccessorRequested = false
        return nil
    }

    /// Asks the preparer for the next segment once the active one is an eighth full or half its
    /// age limit old: early enough for it to be ready at rotation, late enough that a server
    /// that stores little prepares nothing it does not use.
    func requestSuccessorIfDue() {
        guard let preparer, let active, !isSuccessorRequested else { return }
        let age = MonotonicClock.milliseconds() - active.openedAtMilliseconds
        guard active.bytes >= settings.segmentMaxBytes / 8 || age >= settings.segmentMaxAgeMilliseconds / 2 else { return }
        isSuccessorRequested = true
        preparer.request(nextName(), bytes: settings.segmentMaxBytes)
    }

    /// A name for the next segment: created now, with the next sequence number.
    private func nextName() -> SegmentName {
        SegmentName(createdAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1000), worker: worker, sequence: lastSequence + 1)
    }
}
