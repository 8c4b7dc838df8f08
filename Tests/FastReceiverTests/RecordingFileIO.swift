import Foundation

@testable import FastReceiverStorage

/// A file-I/O seam for tests: performs real I/O, records the order of operations, and can hold
/// every `fdatasync` until released or make it fail.
final class RecordingFileIO: JournalFileIO, @unchecked Sendable {
    private let real = PosixFileIO()
    private let lock = NSCondition()
    private var log: [String] = []
    private var isGated = false
    private var isFailingSyncs = false
    private var lastSyncEnd: ContinuousClock.Instant?

    var operations: [String] { lock.lock(); defer { lock.unlock() }; return log }
    var lastSyncFinished: ContinuousClock.Instant? { lock.lock(); defer { lock.unlock() }; return lastSyncEnd }

    /// Holds every later fdatasync until `openGate()`.
    func closeGate() { lock.lock(); isGated = true; lock.unlock() }
    func openGate() { lock.lock(); isGated = false; lock.broadcast(); lock.unlock() }
    /// Makes every later fdatasync fail with EIO, as a failing disk does, without syncing.
    func failSyncs() { lock.lock(); isFailingSyncs = true; lock.unlock() }

    private func record(_ entry: String) { lock.lock(); log.append(entry); lock.unlock() }

    func open(_ path: String, create: Bool) -> Int32 { record("open"); return real.open(path, create: create) }
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 { record("write"); return real.write(descriptor, bytes) }
    func dataSync(_ descriptor: Int32) -> Int32 {
        lock.lock()
        log.append("fdatasync")
        while isGated { lock.wait() }
        let isFailing = isFailingSyncs
        lock.unlock()
        let result = isFailing ? EIO : real.dataSync(descriptor)
        lock.lock()
        log.append("fdatasync done")
        lastSyncEnd = .now
        lock.unlock()
        return result
    }
    func syncDirectory(_ path: String) -> Int32 { record("fsync dir"); return real.syncDirectory(path) }
    func truncate(_ descriptor: Int32, to length: Int) -> Int32 { record("truncate"); return real.truncate(descriptor, to: length) }
    func close(_ descriptor: Int32) { real.close(descriptor) }
}
