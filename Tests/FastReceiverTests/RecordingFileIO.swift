import Foundation

@testable import FastReceiverStorage

/// A file-I/O seam for tests: performs real I/O, records the order of operations, and can hold
/// every `fdatasync` until released or make writes fail.
final class RecordingFileIO: JournalFileIO, @unchecked Sendable {
    private let real = PosixFileIO()
    private let lock = NSCondition()
    private var log: [String] = []
    private var isGated = false
    private var lastSyncEnd: Date?

    var operations: [String] { lock.lock(); defer { lock.unlock() }; return log }
    var lastSyncFinished: Date? { lock.lock(); defer { lock.unlock() }; return lastSyncEnd }

    /// Holds every later fdatasync until `openGate()`.
    func closeGate() { lock.lock(); isGated = true; lock.unlock() }
    func openGate() { lock.lock(); isGated = false; lock.broadcast(); lock.unlock() }

    private func record(_ entry: String) { lock.lock(); log.append(entry); lock.unlock() }

    func open(_ path: String, create: Bool) -> Int32 { record("open"); return real.open(path, create: create) }
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 { record("write"); return real.write(descriptor, bytes) }
    func dataSync(_ descriptor: Int32) -> Int32 {
        lock.lock()
        log.append("fdatasync")
        while isGated { lock.wait() }
        lock.unlock()
        let result = real.dataSync(descriptor)
        lock.lock()
        log.append("fdatasync done")
        lastSyncEnd = Date()
        lock.unlock()
        return result
    }
    func syncDirectory(_ path: String) -> Int32 { record("fsync dir"); return real.syncDirectory(path) }
    func truncate(_ descriptor: Int32, to length: Int) -> Int32 { record("truncate"); return real.truncate(descriptor, to: length) }
    func close(_ descriptor: Int32) { real.close(descriptor) }
}
