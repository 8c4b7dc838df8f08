internal import FastReceiverSystem
internal import Foundation
internal import Glibc
public import Logging
internal import Synchronization

/// Deletes journal segments that are no longer needed, and holds the journal to its byte cap
/// (DESIGN §9), on a background thread of its own.
///
/// Only sealed segments are ever deleted, never a worker's active one. With forwarding on, a
/// segment is deleted only once it is forwarded whole: when it is older than the retention, or,
/// while the journal is at its cap, oldest first until it is under it again. Without
/// forwarding the journal is the only copy: segments older than the retention are deleted only
/// when a retention was given, and the cap never deletes anything. At the cap the journal is
/// full (`StorageHealth.isFull`): new events are answered 503 and `/readyz` 503 until space is
/// freed, which happens by itself as the forwarder catches up.
public final class JournalRetention: @unchecked Sendable {
    // @unchecked Sendable: `condition` guards `isStopping`; the counters are atomics; the rest
    // is immutable or used by the retention thread only.

    /// What is kept.
    public struct Policy: Sendable, Equatable {
        /// Sealed segments last written longer ago than this, in milliseconds, may be deleted;
        /// nil deletes nothing for its age.
        public var maxAgeMilliseconds: Int?
        /// Bytes the journal directory may hold on disk; 0 (the default) sets no cap but the disk's.
        public var maxBytes: Int64 = 0

        public init(maxAgeMilliseconds: Int? = nil, maxBytes: Int64 = 0) {
            self.maxAgeMilliseconds = maxAgeMilliseconds
            self.maxBytes = maxBytes
        }

        /// The retention with forwarding on when none is given: 7 days.
        public static let defaultForwardedAgeMilliseconds = 7 * 86_400_000
    }

    public let directory: String
    public let policy: Policy
    /// Milliseconds between looks. Default 1 000.
    public let intervalMilliseconds: Int
    private let health: StorageHealth
    private let isForwarded: (@Sendable (SegmentName) -> Bool)?
    private let logger: Logger
    private let condition = NSCondition()
    private var isStopping = false
    private var isStarted = false
    private let finished = DispatchSemaphore(value: 0)
    private let bytes = Atomic<Int64>(0)
    private let deleted = Atomic<Int64>(0)

    /// - Parameters:
    ///   - directory: the journal directory (`DATA_DIR/journal`).
    ///   - policy: the retention and the cap.
    ///   - health: where the journal is marked full, and no longer full.
    ///   - isForwarded: whether a segment is in PostgreSQL whole; nil when nothing is forwarded.
    ///   - intervalMilliseconds: how often to look; default once a second.
    public init(directory: String, policy: Policy, health: StorageHealth, isForwarded: (@Sendable (SegmentName) -> Bool)?,
                intervalMilliseconds: Int = 1000, logger: Logger = Logger(label: "fast-receiver")) {
        self.directory = directory
        self.policy = policy
        self.health = health
        self.isForwarded = isForwarded
        self.intervalMilliseconds = intervalMilliseconds
        self.logger = logger
    }

    /// Bytes the journal directory held on disk at the last look.
    public var journalBytes: Int64 { bytes.load(ordering: .relaxed) }
    /// Segments deleted so far.
    public var deletedSegments: Int64 { deleted.load(ordering: .relaxed) }

    /// Looks once a second until `stop`, at background priority.
    public func start() {
        condition.lock()
        isStarted = true
        condition.unlock()
        let thread = Thread { [self] in
            ProcessResources.makeCurrentThreadBackground()
            while true {
                _ = enforce(nowMilliseconds: UnixTime.nowMilliseconds())
                condition.lock()
                if !isStopping { _ = condition.wait(until: Date().addingTimeInterval(Double(intervalMilliseconds) / 1000)) }
                let stopping = isStopping
                condition.unlock()
                if stopping { break }
            }
            finished.signal()
        }
        thread.name = "fast-receiver-retention"
        thread.start()
    }

    /// Stops the thread `start` began, if it did, and waits for it.
    public func stop() {
        condition.lock()
        isStopping = true
        let wasStarted = isStarted
        isStarted = false
        condition.broadcast()
        condition.unlock()
        if wasStarted { finished.wait() }
    }

    /// Deletes what the policy lets go, measures the journal and marks it full or not.
    /// - Parameter nowMilliseconds: Unix time, against which segments' ages are measured.
    /// - Returns: the segments deleted.
    @discardableResult
    public func enforce(nowMilliseconds: Int64) -> [SegmentName] {
        let names = SegmentName.list(in: directory)
        let live = JournalCatalog.liveSegments(among: names)
        var total = Self.bytesOnDisk(directory)
        var removed: [SegmentName] = []
        for name in names where !live.contains(name) {
            let isOld = policy.maxAgeMilliseconds.map { age in
                Self.modifiedMilliseconds(directory + "/" + name.description).map { nowMilliseconds - $0 > Int64(age) } ?? false
            } ?? false
            let needsRoom = policy.maxBytes > 0 && total >= policy.maxBytes && isForwarded != nil
            guard isOld || needsRoom, isForwarded?(name) ?? true else { continue }
            total -= Self.remove(name, in: directory)
            removed.append(name)
            logger.info("journal segment deleted", metadata: [
                "segment": "\(name)", "reason": "\(isOld ? "older than the retention" : "the journal is at --journal-max-bytes")",
                "forwarded": "\(isForwarded == nil ? "forwarding off" : "whole")",
            ])
        }
        if !removed.isEmpty {
            _ = PosixFileIO().syncDirectory(directory)
            deleted.wrappingAdd(Int64(removed.count), ordering: .relaxed)
        }
        bytes.store(total, ordering: .relaxed)
        let isFull = policy.maxBytes > 0 && total >= policy.maxBytes
        if isFull != health.isFull {
            health.setFull(isFull)
            if isFull {
                logger.error("journal full: answering 503 and /readyz 503 until forwarding frees space", metadata: [
                    "bytes": "\(total)", "max_bytes": "\(policy.maxBytes)",
                ])
            } else {
                logger.notice("journal below its cap: storing events again", metadata: ["bytes": "\(total)", "max_bytes": "\(policy.maxBytes)"])
            }
        }
        return removed
    }

    /// Deletes a segment, plain and compressed copies alike, under `SegmentFiles.lock`: a
    /// compression in progress then finds its source gone and drops its copy.
    /// - Returns: the bytes on disk freed.
    private static func remove(_ name: SegmentName, in directory: String) -> Int64 {
        SegmentFiles.lock.withLock { _ in
            var freed: Int64 = 0
            for file in [name.baseName, name.baseName + ".gz"] {
                let path = directory + "/" + file
                let size = diskBytes(path)
                if unlink(path) == 0 { freed += size }
            }
            return freed
        }
    }

    /// Bytes on disk of every regular file in `directory` (blocks allocated, so that
    /// preallocated space counts).
    static func bytesOnDisk(_ directory: String) -> Int64 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.reduce(0) { $0 + diskBytes(directory + "/" + $1) }
    }

    private static func diskBytes(_ path: String) -> Int64 {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return 0 }
        return Int64(status.st_blocks) * 512
    }

    private static func modifiedMilliseconds(_ path: String) -> Int64? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return Int64(status.st_mtim.tv_sec) * 1000 + Int64(status.st_mtim.tv_nsec) / 1_000_000
    }
}
