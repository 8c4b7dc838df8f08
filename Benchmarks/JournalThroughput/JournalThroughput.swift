import FastReceiverStorage
import FastReceiverSystem
import Foundation
import Synchronization

/// Events/s and fdatasyncs/s of the journal alone (one worker journal, group commit), with
/// 1, 16 and 256 producers that each append a record and wait until it is durable before
/// appending the next — the way connections wait for their 200 — and the spread of the group
/// commits' fdatasync latency.
///
/// Run: FAST_RECEIVER_BENCHMARKS=1 swift run -c release --scratch-path .build-bench JournalThroughput [seconds] [data-dir]

/// Counts and times the group commits' fdatasyncs on top of the real file system. A group commit
/// writes records, which start with the record magic; a descriptor written anything else (a
/// segment header, the zeros of a segment prepared ahead) is synced for that, uncounted.
final class CountingFileIO: JournalFileIO {
    private let real = PosixFileIO()
    let syncs = Atomic<Int>(0)
    /// Each group commit's fdatasync, in microseconds.
    let latencies = Mutex<[Int]>([])
    /// Descriptors written something other than records since their last fdatasync.
    private let preparing = Mutex<Set<Int32>>([])

    func open(_ path: String, create: Bool) -> Int32 { real.open(path, create: create) }
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        if bytes.count < 4 || UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)) != JournalRecord.magic {
            _ = preparing.withLock { $0.insert(descriptor) }
        }
        return real.write(descriptor, bytes)
    }
    func dataSync(_ descriptor: Int32) -> Int32 {
        guard preparing.withLock({ $0.remove(descriptor) }) == nil else { return real.dataSync(descriptor) }
        syncs.wrappingAdd(1, ordering: .relaxed)
        let started = DispatchTime.now().uptimeNanoseconds
        let result = real.dataSync(descriptor)
        let microseconds = Int((DispatchTime.now().uptimeNanoseconds - started) / 1000)
        latencies.withLock { $0.append(microseconds) }
        return result
    }
    func syncDirectory(_ path: String) -> Int32 { real.syncDirectory(path) }
    func truncate(_ descriptor: Int32, to length: Int) -> Int32 { real.truncate(descriptor, to: length) }
    func close(_ descriptor: Int32) { real.close(descriptor) }

    /// The latencies timed since the last call, sorted; clears them.
    func takeLatencies() -> [Int] {
        latencies.withLock { latencies in
            defer { latencies.removeAll() }
            return latencies.sorted()
        }
    }
}

/// Wakes producers when a batch resolves.
final class Resolved: Sendable {
    let condition = NSCondition()
    func notify() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }
}

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 3 : 3
let root = arguments.count > 2 ? arguments[2] : NSTemporaryDirectory() + "journal-throughput"
let body = Array(String(repeating: "x", count: 600).utf8)

print("durability  producers   events/s   fsyncs/s  events/fsync   fdatasync µs: p50     p90     p99     max")
for durability in [Durability.fsync, .write] {
    for producers in [1, 16, 256] {
        let directory = root + "/\(durability)-\(producers)-\(UUID().uuidString)"
        let io = CountingFileIO()
        let resolved = Resolved()
        let wake = try WakeSignal()
        var settings = WorkerJournal.Settings()
        settings.durability = durability
        let journal = try Journal(dataDirectory: directory, workerCount: 1, settings: settings, dedupeCapacity: 1000,
                                  io: io, health: StorageHealth(), wake: [wake])
        let worker = journal.workers[0]
        // The journal rings the wake signal per resolved batch; relay it to the producers.
        let stop = Atomic<Bool>(false)
        let relay = Thread {
            var pollDescriptor = pollfd(fd: wake.descriptor, events: Int16(POLLIN), revents: 0)
            while !stop.load(ordering: .relaxed) {
                if poll(&pollDescriptor, 1, 100) > 0 {
                    wake.drain()
                    resolved.notify()
                }
            }
        }
        relay.start()
        let completed = Atomic<Int>(0)
        let syncsBefore = io.syncs.load(ordering: .relaxed)
        _ = io.takeLatencies()
        let start = Date()
        let group = DispatchGroup()
        for producer in 0..<producers {
            group.enter()
            Thread {
                var count = 0
                while Date().timeIntervalSince(start) < seconds {
                    let id = Array("p\(producer)-\(count)".utf8)
                    let appended = id.withUnsafeBytes { id in
                        body.withUnsafeBytes { body in
                            worker.append(receivedAtMilliseconds: 0, eventID: id, body: body, key: nil)
                        }
                    }
                    guard case .success(let ticket) = appended else { continue }
                    resolved.condition.lock()
                    while worker.state(of: ticket.sequence) == .pending { resolved.condition.wait() }
                    resolved.condition.unlock()
                    count += 1
                }
                completed.wrappingAdd(count, ordering: .relaxed)
                group.leave()
            }.start()
        }
        group.wait()
        let elapsed = Date().timeIntervalSince(start)
        stop.store(true, ordering: .relaxed)
        let events = completed.load(ordering: .relaxed)
        let syncs = io.syncs.load(ordering: .relaxed) - syncsBefore
        let latencies = io.takeLatencies()
        journal.close()
        try? FileManager.default.removeItem(atPath: directory)
        let perSync = durability == .fsync && syncs > 0 ? String(format: "%12.1f", Double(events) / Double(syncs)) : "           -"
        let spread = latencies.isEmpty ? "" : [0.5, 0.9, 0.99].map { String(format: "%8d", latencies[Int($0 * Double(latencies.count - 1))]) }.joined()
            + String(format: "%8d", latencies[latencies.count - 1])
        print(String(format: "%-10@ %10d %10.0f %10.0f", "\(durability)" as NSString, producers, Double(events) / elapsed, Double(syncs) / elapsed)
            + "  " + perSync + (spread.isEmpty ? "" : "                " + spread))
    }
}
