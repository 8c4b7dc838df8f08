internal import Dispatch
internal import FastReceiverSystem
internal import Foundation
internal import Glibc
internal import Logging
internal import Synchronization

/// A segment file made ready ahead of use: its header written, zero-filled to its full size and
/// fdatasynced, under a name that readers and recovery do not take for a segment.
struct PreparedSegment: Sendable {
    let name: SegmentName
    /// Where it lies until it is renamed to its name.
    let path: String
    /// Open for writing, positioned just after the header.
    let descriptor: Int32
    /// The file's size: the bytes records may fill without the file growing.
    let bytes: Int
}

/// Prepares segments ahead of their use, so that a group commit's `fdatasync` writes data only.
///
/// Appending to a file changes its size and extents on every batch, so each fdatasync also
/// commits metadata through the file system's journal, a second device flush. A segment whose
/// blocks are all allocated and written before use is overwritten in place instead, as
/// PostgreSQL does with its WAL segments: the file is created as `<segment>.prepared`, its header
/// and zeros up to the segment size are written, and it is fdatasynced. Writing zeros is what
/// makes this work: `fallocate` alone leaves unwritten extents whose conversion at the first write
/// is metadata again on ext4.
///
/// One background thread prepares each worker's next segment when its writer asks, well before
/// the active one is full; the first segments are prepared at start, on the caller's thread.
final class SegmentPreparer: Sendable {
    /// What a prepared segment's file name adds to the segment's own.
    static let suffix = ".prepared"

    private struct State {
        var requests: [(name: SegmentName, bytes: Int)] = []
        /// Prepared segments not taken yet, by worker.
        var ready: [Int: PreparedSegment] = [:]
        /// The worker whose segment is being prepared, and whether it has been abandoned since.
        var inProgress: (worker: Int, isAbandoned: Bool)?
        var isStopping = false
    }

    private let directory: String
    private let io: any JournalFileIO
    private let state = Mutex(State())
    /// Read between the pieces of zeros, so that `close()` does not wait for a whole segment.
    private let isStopping = Atomic<Bool>(false)
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let logger = Logger(label: "fast-receiver")
    /// Zeros are written in pieces of this many bytes.
    private static let zeroBytes = 1 << 20
    private let zeros = [UInt8](repeating: 0, count: zeroBytes)

    /// - Parameters:
    ///   - directory: the journal directory.
    ///   - io: the file operations, the same the writers use.
    init(directory: String, io: any JournalFileIO) {
        self.directory = directory
        self.io = io
        let thread = Thread { [self] in run() }
        thread.name = "fast-receiver-prepare"
        thread.start()
    }

    /// Asks for `name` to be prepared in the background, `bytes` long.
    func request(_ name: SegmentName, bytes: Int) {
        state.withLock { $0.requests.append((name, bytes)) }
        wakeup.signal()
    }

    /// The segment prepared for `worker`, if one is ready. A request of that worker still queued
    /// or in progress is abandoned (its file removed once done): the caller opens another.
    func take(worker: Int) -> PreparedSegment? {
        state.withLock { state in
            state.requests.removeAll { $0.name.worker == worker }
            if state.inProgress?.worker == worker { state.inProgress?.isAbandoned = true }
            return state.ready.removeValue(forKey: worker)
        }
    }

    /// Whether a segment prepared for `worker` waits to be taken.
    func hasReady(worker: Int) -> Bool {
        state.withLock { $0.ready[worker] != nil }
    }

    /// Prepares a segment on the calling thread: creates `<name>.prepared`, writes the header and
    /// zeros up to `bytes`, and fdatasyncs it. On failure nothing is left behind, and the failure
    /// is logged (the caller then opens a segment that grows as it is written).
    /// - Returns: the segment, or nil.
    func prepare(_ name: SegmentName, bytes: Int) -> PreparedSegment? {
        switch prepareFile(name, bytes: bytes) {
        case .success(let segment):
            return segment
        case .failure(let failure):
            if !isStopping.load(ordering: .relaxed) {
                logger.warning("could not prepare a journal segment ahead of use; the segment will grow as it is written", metadata: [
                    "worker": "\(name.worker)", "error": "\(failure)",
                ])
            }
            return nil
        }
    }

    private func prepareFile(_ name: SegmentName, bytes: Int) -> Result<PreparedSegment, SystemError> {
        let path = directory + "/" + name.description + Self.suffix
        let descriptor = io.open(path, create: true)
        guard descriptor >= 0 else { return .failure(SystemError("creating \(path)", errno: -descriptor)) }
        let header = SegmentHeader.encode(createdAtMilliseconds: name.createdAtMilliseconds)
        if let failure = fill(descriptor, path: path, header: header, bytes: bytes) {
            io.close(descriptor)
            unlink(path)
            return .failure(failure)
        }
        return .success(PreparedSegment(name: name, path: path, descriptor: descriptor, bytes: max(bytes, header.count)))
    }

    /// Writes the header and zeros up to `bytes`, fdatasyncing every MiB, and leaves the
    /// descriptor just after the header.
    ///
    /// Syncing as it goes keeps at most a MiB of zeros queued at the disk. Written in one piece
    /// and synced once, a 64 MiB segment occupied the device for tens of milliseconds, and every
    /// group commit's fdatasync issued meanwhile waited behind it, which set the p99 of requests
    /// under load.
    /// - Returns: nil, or the failure.
    private func fill(_ descriptor: Int32, path: String, header: [UInt8], bytes: Int) -> SystemError? {
        var error = header.withUnsafeBytes { io.write(descriptor, $0) }
        var position = header.count
        while error == 0, position < bytes {
            guard !isStopping.load(ordering: .relaxed) else { return SystemError("zero-filling \(path)", errno: ECANCELED) }
            let count = min(Self.zeroBytes - position % Self.zeroBytes, bytes - position)
            error = zeros.withUnsafeBytes { io.write(descriptor, UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            position += count
            // Each full MiB is synced here, the last piece after the loop.
            if error == 0, position < bytes, position % Self.zeroBytes == 0 {
                error = io.dataSync(descriptor)
                guard error == 0 else { return SystemError("fdatasync of \(path)", errno: error) }
            }
        }
        guard error == 0 else { return SystemError("zero-filling \(path)", errno: error) }
        error = io.dataSync(descriptor)
        guard error == 0 else { return SystemError("fdatasync of \(path)", errno: error) }
        error = io.seek(descriptor, to: header.count)
        return error == 0 ? nil : SystemError("lseek in \(path)", errno: error)
    }

    /// Closes a prepared segment that will not be used and removes its file.
    func discard(_ segment: PreparedSegment) {
        io.close(segment.descriptor)
        unlink(segment.path)
    }

    /// Stops the thread (abandoning a preparation in progress) and removes what was not taken.
    func close() {
        isStopping.store(true, ordering: .relaxed)
        state.withLock { $0.isStopping = true }
        wakeup.signal()
        finished.wait()
        for segment in state.withLock({ state in state.ready.values }) { discard(segment) }
    }

    private func run() {
        while true {
            let next: (name: SegmentName, bytes: Int)?? = state.withLock { state in
                guard !state.isStopping else { return .none }
                guard !state.requests.isEmpty else { return .some(nil) }
                let request = state.requests.removeFirst()
                state.inProgress = (request.name.worker, false)
                return request
            }
            guard let next else { break }
            guard let request = next else {
                wakeup.wait()
                continue
            }
            let prepared = prepare(request.name, bytes: request.bytes)
            let unused: PreparedSegment? = state.withLock { state in
                defer { state.inProgress = nil }
                guard let prepared else { return nil }
                if state.isStopping || state.inProgress?.isAbandoned == true { return prepared }
                state.ready[prepared.name.worker] = prepared
                return nil
            }
            if let unused { discard(unused) }
        }
        finished.signal()
    }
}
