public import FastReceiverStorage
internal import Glibc

/// The forwarder's view of the journal: every segment in storage order, how far its records
/// are counted, and how far they are forwarded.
///
/// Counting runs ahead of forwarding and forwarding never passes it, so "counted but not
/// forwarded" is exactly the events still to send. Counting starts only once the forwarded
/// positions are known (read from PostgreSQL); until then the backlog is unknown.
struct JournalTail {
    struct Segment {
        var name: SegmentName
        /// How far records are in PostgreSQL (committed).
        var forwarded: JournalCatalog.Progress
        /// How far records are counted; never behind `forwarded`.
        var counted: JournalCatalog.Progress
        /// Records counted and not yet forwarded.
        var pending = 0
        /// The receive time of the oldest of them (approximately, after a partial batch).
        var oldestPendingMilliseconds: Int64?
        /// Sealed, and every record of it is in PostgreSQL: never read again.
        var isComplete = false
        /// Something was wrong with it (reported once): it is never marked complete, so that
        /// retention leaves it for a person to look at.
        var hasProblem = false

        init(name: SegmentName, offset: Int = 0) {
            self.name = name
            forwarded = JournalCatalog.Progress(offset: offset)
            counted = forwarded
        }
    }

    let catalog: JournalCatalog
    /// In storage order.
    private(set) var segments: [Segment] = []
    /// Each worker's newest plain segment, which a running server may still append to.
    private(set) var live: Set<SegmentName> = []
    /// Whether the forwarded positions have been read, so that counting means something.
    private(set) var isCounting = false
    /// Whether a segment became complete since `completeSegments()` was last called.
    private(set) var hasNewlyComplete = false
    private var directoryChange = timespec()
    private var listedAt = 0

    init(catalog: JournalCatalog) {
        self.catalog = catalog
    }

    /// Events counted and not yet forwarded; nil until the forwarded positions are known.
    var pendingEvents: Int? { isCounting ? segments.reduce(0) { $0 + $1.pending } : nil }

    /// The receive time of the oldest event counted and not yet forwarded.
    var oldestPendingMilliseconds: Int64? { segments.compactMap(\.oldestPendingMilliseconds).min() }

    /// Lists the segments again when the journal directory changed (or a second has passed),
    /// then counts the records that arrived since the last call.
    /// - Parameters:
    ///   - nowMilliseconds: a monotonic clock.
    ///   - problem: called with each problem of a segment, once per segment.
    mutating func refresh(nowMilliseconds: Int, problem: (SegmentName, JournalCatalog.Problem) -> Void) {
        var status = stat()
        let changed = stat(catalog.directory, &status) == 0
            && (status.st_mtim.tv_sec != directoryChange.tv_sec || status.st_mtim.tv_nsec != directoryChange.tv_nsec)
        if changed || nowMilliseconds - listedAt >= 1000 || segments.isEmpty {
            directoryChange = status.st_mtim
            listedAt = nowMilliseconds
            relist()
        }
        guard isCounting else { return }
        for index in segments.indices where !segments[index].isComplete {
            var counted = segments[index].counted
            var segment = segments[index]
            catalog.read(segment.name, isLive: live.contains(segment.name), progress: &counted, problem: { report in
                Self.note(report, of: &segment, problem: problem)
            }) { payload, _ in
                segment.pending += 1
                if segment.oldestPendingMilliseconds == nil {
                    segment.oldestPendingMilliseconds = JournalRecord.receivedAtMilliseconds(payload: payload)
                }
                return true
            }
            segment.counted = counted
            segments[index] = segment
        }
    }

    /// Takes the forwarded positions read from PostgreSQL, which only ever move forward, and
    /// starts counting from them.
    mutating func apply(_ positions: [ForwardingTables.Position]) {
        var byName: [String: ForwardingTables.Position] = [:]
        for position in positions { byName[position.segment] = position }
        for index in segments.indices {
            guard let position = byName[segments[index].name.baseName] else { continue }
            if position.isComplete {
                hasNewlyComplete = hasNewlyComplete || !segments[index].isComplete
                segments[index].isComplete = true
                segments[index].pending = 0
                segments[index].oldestPendingMilliseconds = nil
            } else if position.offset > segments[index].forwarded.offset {
                segments[index].forwarded = JournalCatalog.Progress(offset: position.offset)
                segments[index].counted = segments[index].forwarded
                segments[index].pending = 0
                segments[index].oldestPendingMilliseconds = nil
            }
        }
        isCounting = true
    }

    /// Reads the records of segment `index` that are counted and not yet forwarded, in order,
    /// handing each to `take` until it declines one. Counting has reported the segment's
    /// problems already.
    /// - Returns: whether the segment was read to its sealed end with nothing wrong with it.
    mutating func read(_ index: Int, take: (_ payload: UnsafeRawBufferPointer, _ segment: SegmentName, _ end: Int) -> Bool) -> Bool {
        var segment = segments[index]
        guard !segment.isComplete else { return false }
        var forwarded = segment.forwarded
        let countedOffset = segment.counted.offset
        let isCountedToEnd = segment.counted.isFinished
        catalog.read(segment.name, isLive: live.contains(segment.name), progress: &forwarded, problem: { report in
            Self.note(report, of: &segment) { _, _ in }
        }) { payload, end in
            end <= countedOffset && take(payload, segment.name, end)
        }
        segment.forwarded = forwarded
        segments[index] = segment
        return isCountedToEnd && forwarded.isFinished && !segment.hasProblem
    }

    /// Records that `count` records of the segment named `name` are in PostgreSQL, the last
    /// received at `lastReceivedAt`, and, when `isComplete`, that all of it is.
    mutating func forwarded(_ count: Int, of name: SegmentName, lastReceivedAt: Int64?, isComplete: Bool) {
        guard let index = segments.firstIndex(where: { $0.name.isSameSegment(as: name) }) else { return }
        segments[index].pending = max(segments[index].pending - count, 0)
        if segments[index].pending == 0 {
            segments[index].oldestPendingMilliseconds = nil
        } else if let lastReceivedAt {
            segments[index].oldestPendingMilliseconds = lastReceivedAt
        }
        if isComplete, !segments[index].isComplete {
            segments[index].isComplete = true
            hasNewlyComplete = true
        }
    }

    /// The base names of the segments forwarded whole.
    mutating func completeSegments() -> Set<String> {
        hasNewlyComplete = false
        return Set(segments.filter(\.isComplete).map(\.name.baseName))
    }

    private static func note(_ report: JournalCatalog.Problem, of segment: inout Segment,
                             problem: (SegmentName, JournalCatalog.Problem) -> Void) {
        switch report {
        case .notRead, .notASegment, .damagedCompression:
            guard !segment.hasProblem else { return }
            segment.hasProblem = true
        case .corrupt, .tornTail:
            break
        }
        problem(segment.name, report)
    }

    /// Lists the segments, keeping what is known of those still there.
    private mutating func relist() {
        let names = catalog.segments()
        var known: [String: Segment] = [:]
        for segment in segments { known[segment.name.baseName] = segment }
        segments = names.map { name in
            guard var segment = known[name.baseName] else { return Segment(name: name) }
            segment.name = name
            return segment
        }
        live = JournalCatalog.liveSegments(among: names)
    }
}

/// What a journal still holds for PostgreSQL, as `journal stats` reports it.
public enum ForwardingBacklog {
    /// Counts the events of `catalog` that `positions` (one replica's) do not cover.
    /// - Returns: the events not yet forwarded, and the receive time of the oldest of them.
    public static func count(_ catalog: JournalCatalog, positions: [ForwardingTables.Position]) -> (events: Int, oldestMilliseconds: Int64?) {
        var tail = JournalTail(catalog: catalog)
        tail.refresh(nowMilliseconds: 0) { _, _ in }
        tail.apply(positions)
        tail.refresh(nowMilliseconds: 0) { _, _ in }
        return (tail.pendingEvents ?? 0, tail.oldestPendingMilliseconds)
    }
}
