internal import Dispatch
internal import FastReceiverCompression
internal import FastReceiverSystem
internal import Foundation
internal import Glibc
internal import Synchronization

/// Gzips sealed segments in the background, one at a time, so old data takes less disk without
/// slowing the request path. Level 1: DT's JSON still shrinks several-fold, at a fraction of the
/// CPU the default level takes while the receiver is busy. Only a segment's records are
/// compressed, not the zeros after them in a preallocated segment. A segment is replaced only
/// once its compressed copy is durable: write `.seg.gz.tmp`, fsync, rename to `.seg.gz`, fsync
/// the directory, then remove `.seg`.
public final class SegmentCompressor: Sendable {
    private struct State {
        var queue: [(path: String, validBytes: Int)] = []
        var isStopping = false
    }

    private let state = Mutex(State())
    /// Signalled once per queued segment, and once to stop.
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    public init() {
        let thread = Thread { [self] in run() }
        thread.name = "fast-receiver-compress"
        thread.start()
    }

    /// Queues a sealed plain segment for compression.
    /// - Parameter validBytes: the segment's length up to the end of its last record.
    public func enqueue(_ path: String, validBytes: Int) {
        state.withLock { $0.queue.append((path, validBytes)) }
        wakeup.signal()
    }

    /// Finishes the queue and stops.
    public func close() {
        state.withLock { $0.isStopping = true }
        wakeup.signal()
        finished.wait()
    }

    private func run() {
        // Compression can wait: it must never take CPU or disk time from answering requests.
        ProcessResources.makeCurrentThreadBackground()
        while true {
            let next: (path: String, validBytes: Int)?? = state.withLock { state in
                if !state.queue.isEmpty { return state.queue.removeFirst() }
                return state.isStopping ? .none : .some(nil)
            }
            guard let next else { break }
            guard let segment = next else {
                wakeup.wait()
                continue
            }
            Self.compress(segment.path, validBytes: segment.validBytes)
        }
        finished.signal()
    }

    /// Compresses the first `validBytes` of one segment; false (leaving the plain segment in
    /// place) on any failure. Streams it in 1 MiB pieces, so memory does not grow with the file
    /// (which, found at start, may be anything named like a segment).
    ///
    /// Retention may delete the segment while it is being compressed. The copy then replaces
    /// nothing and is removed: the check and the replacement hold `SegmentFiles.lock`, which
    /// retention's deletions take too, so a deleted segment never comes back as `.seg.gz`.
    /// - Parameter beforeReplacing: called once the copy is durable, before the lock is taken
    ///   (tests use it to delete the segment at that moment).
    @discardableResult
    static func compress(_ path: String, validBytes: Int, beforeReplacing: (() -> Void)? = nil) -> Bool {
        let source = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard source >= 0 else { return false }
        defer { Glibc.close(source) }
        var status = stat()
        guard fstat(source, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return false }
        let temporary = path + ".gz.tmp"
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { return false }
        guard let file = GzipFile(descriptor: descriptor, mode: .writeFast) else {
            Glibc.close(descriptor)
            unlink(temporary)
            return false
        }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        var ok = true
        var remaining = validBytes
        while ok, remaining > 0 {
            let count = read(source, chunk.baseAddress, min(chunk.count, remaining))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                ok = count == 0
                break
            }
            remaining -= count
            ok = file.write(UnsafeRawBufferPointer(rebasing: chunk[..<count]))
            // Sync as it goes: a large pile of dirty pages would make the next group
            // commit's fdatasync wait for all of it.
            ok = ok && file.flush() && fdatasync(descriptor) == 0
        }
        // gzclose writes the trailer and closes the descriptor; reopen it to make that durable.
        ok = file.close() && ok
        let reopened = Glibc.open(temporary, O_RDONLY | O_CLOEXEC)
        if reopened >= 0 {
            ok = fsync(reopened) == 0 && ok
            Glibc.close(reopened)
        } else {
            ok = false
        }
        let directory = (path as NSString).deletingLastPathComponent
        beforeReplacing?()
        return SegmentFiles.lock.withLock { _ in
            // The open descriptor still names the segment only if no one deleted it meanwhile.
            var linked = stat()
            guard ok, fstat(source, &linked) == 0, linked.st_nlink > 0,
                  rename(temporary, path + ".gz") == 0
            else {
                unlink(temporary)
                return false
            }
            let io = PosixFileIO()
            _ = io.syncDirectory(directory)
            unlink(path)
            _ = io.syncDirectory(directory)
            return true
        }
    }
}

/// Serialises, within the process, the two things that take a sealed segment's files away:
/// compression replacing `.seg` by `.seg.gz`, and retention deleting both.
enum SegmentFiles {
    static let lock = Mutex(())
}
