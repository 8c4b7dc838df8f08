/// Records encoded back to back, ready for one `write`, with what resolving them needs: the
/// last sequence number among them and the dedupe keys to release should they fail.
///
/// A worker journal has two: its event loop fills one while its sync thread writes the other,
/// and the two are swapped, so neither is allocated again after start.
struct JournalBatch: ~Copyable, @unchecked Sendable {
    // @unchecked Sendable: noncopyable, so exactly one owner holds the buffer at a time.
    private let buffer: UnsafeMutableRawBufferPointer
    /// Bytes of records in the buffer.
    private(set) var count = 0
    private(set) var records = 0
    /// The sequence number of the last record.
    private(set) var lastSequence: UInt64 = 0
    /// The dedupe key and sequence number of each record that has a key.
    private(set) var keys: [(EventKey, UInt64)] = []

    /// Bytes at the start of a batch written once when it is made, so that the pages a busy
    /// server's batches fill are resident before the first request rather than faulted in on
    /// the request path. 1 MiB holds about 1 500 DT events; the rest of the buffer is touched
    /// only by the rare larger batch.
    static let residentBytes = 1 << 20

    /// - Parameter capacity: bytes the batch holds at most (`WorkerJournal.Settings.batchBytes`).
    init(capacity: Int) {
        buffer = .allocate(byteCount: capacity, alignment: 8)
        UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(capacity, Self.residentBytes)]).initializeMemory(as: UInt8.self, repeating: 0)
        keys.reserveCapacity(4096)
    }

    deinit {
        buffer.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    /// The records, valid until the batch next changes.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[..<count]) }

    /// Appends a record; false when it does not fit.
    mutating func append(receivedAtMilliseconds: Int64, eventID: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer,
                         sequence: UInt64, key: EventKey?) -> Bool {
        let idCount = eventID.count <= JournalRecord.maxEventIDBytes ? eventID.count : 0
        let size = JournalRecord.encodedCount(eventIDCount: idCount, bodyCount: body.count)
        guard size <= buffer.count - count else { return false }
        JournalRecord.encode(receivedAtMilliseconds: receivedAtMilliseconds, eventID: eventID, body: body,
                             into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
        count += size
        records += 1
        lastSequence = sequence
        if let key { keys.append((key, sequence)) }
        return true
    }

    /// Empties the batch, keeping its memory.
    mutating func removeAll() {
        count = 0
        records = 0
        keys.removeAll(keepingCapacity: true)
    }
}
