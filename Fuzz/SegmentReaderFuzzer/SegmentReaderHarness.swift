// Shared by the fuzzer and the test target (Tests/FastReceiverStorageTests links to this file),
// so that regression inputs replayed by `swift test` go through exactly the checks the fuzzer made.
import FastReceiverJSON
import FastReceiverStorage

/// Reads arbitrary bytes as a journal segment and checks what every reader of segments relies on:
/// the linear scan finds exactly what the record-by-record reference finds, a live scan that
/// stops early and resumes later ends up where a whole scan does, and every record prints as one
/// line of valid JSON that holds its id faithfully. Each input is also read followed by zeros, as
/// in a preallocated segment: there the scan ends cleanly exactly when nothing but zeros follows
/// its last record. A broken check traps, so libFuzzer keeps the input.
enum SegmentReaderHarness {
    /// Small, so that arbitrary length fields are plausible often enough to reach deep states.
    static let maxPayload = 1 << 16

    /// A scan's items and where it stopped.
    struct Outcome: Equatable, CustomStringConvertible {
        var items: [SegmentScanner.Item] = []
        var end = 0

        var description: String { "\(items) end=\(end)" }
    }

    /// Runs every check on `input`, read as records after a segment header, then followed by zeros.
    static func check(_ input: UnsafeRawBufferPointer) {
        let segment = Array(headerBytes) + Array(input)
        let split = headerBytes.count + (input.first.map(Int.init) ?? 0) * input.count / 256
        segment.withUnsafeBytes { bytes in
            let whole = checkScan(bytes, split: split)
            for case .record(let payload) in whole.items {
                checkLine(JournalRecord.decode(payload: UnsafeRawBufferPointer(rebasing: bytes[payload])))
            }
        }
        let zeros = [UInt8](repeating: 0, count: 1 + (input.last.map(Int.init) ?? 0))
        (segment + zeros).withUnsafeBytes { _ = checkScan($0, split: split) }
    }

    /// The scan agrees with the reference, ends cleanly (no torn tail) exactly when only zeros
    /// follow its last record, and a live scan resumed later ends up where it does.
    static func checkScan(_ bytes: UnsafeRawBufferPointer, split: Int) -> Outcome {
        var scanner = SegmentScanner(bytes, from: headerBytes.count, maxPayload: maxPayload)
        var whole = Outcome()
        while let item = scanner.next() { whole.items.append(item) }
        whole.end = scanner.offset
        let expected = reference(bytes, from: headerBytes.count)
        guard whole == expected else { fatalError("linear scan \(whole) differs from the reference \(expected)") }
        let isZeroTail = bytes[whole.end...].allSatisfy { $0 == 0 }
        guard scanner.tailBytes == (isZeroTail ? 0 : bytes.count - whole.end) else {
            fatalError("a tail of \(scanner.tailBytes) bytes after \(whole.end) (zeros only: \(isZeroTail))")
        }
        checkResumedLiveScan(bytes, whole: whole, split: split)
        return whole
    }

    /// The segment header every input is read after.
    static let headerBytes: [UInt8] = Array("FRJSEG01".utf8) + [0, 0, 0, 0, 0, 0, 0, 0]

    /// The linear scan of `bytes` from `offset`.
    static func scan(_ bytes: UnsafeRawBufferPointer, from offset: Int, isLive: Bool = false) -> Outcome {
        var scanner = SegmentScanner(bytes, from: offset, maxPayload: maxPayload, isLive: isLive)
        var outcome = Outcome()
        while let item = scanner.next() { outcome.items.append(item) }
        outcome.end = scanner.offset
        return outcome
    }

    /// The definition the scan must meet, checked the slow way: after a record that is not
    /// valid, the next record is the first later offset where `JournalRecord.scan` finds one.
    static func reference(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> Outcome {
        var outcome = Outcome()
        var position = offset
        while position < bytes.count {
            if case .record(let payload, let next) = JournalRecord.scan(bytes, at: position, maxPayload: maxPayload) {
                outcome.items.append(.record(payload: payload))
                position = next
                continue
            }
            guard let resume = ((position + 1)..<bytes.count).first(where: {
                if case .record = JournalRecord.scan(bytes, at: $0, maxPayload: maxPayload) { return true }
                return false
            }) else { break }
            outcome.items.append(.skipped(offset: position, length: resume - position))
            position = resume
        }
        outcome.end = position
        return outcome
    }

    /// A live scan of the first `split` bytes (a segment as a follower saw it mid-write),
    /// resumed where it stopped once all bytes are there, must find what the whole scan found.
    static func checkResumedLiveScan(_ bytes: UnsafeRawBufferPointer, whole: Outcome, split: Int) {
        let prefix = UnsafeRawBufferPointer(rebasing: bytes[..<min(split, bytes.count)])
        let early = scan(prefix, from: min(headerBytes.count, prefix.count), isLive: true)
        let rest = scan(bytes, from: early.end)
        guard early.items + rest.items == whole.items, rest.end == whole.end else {
            fatalError("live scan to \(split) (\(early)) then the rest (\(rest)) differs from the whole scan (\(whole))")
        }
    }

    /// The record's `journal cat` line is one line holding one valid JSON object, whose eventId
    /// decodes to the stored id (or which carries it as rawEventId).
    static func checkLine(_ record: JournalRecord) {
        let line = Array(JournalCatalog.line(for: record).utf8)
        guard !line.contains(0x0A), !line.contains(0x0D) else { fatalError("a line break in \(line)") }
        var decodedID: [UInt8]?
        var hasRawID = false
        do {
            try line.withUnsafeBytes { raw in
                let reader = JSONReader(raw, maxDepth: 130)
                try reader.forEachMember { member in
                    if reader.key(of: member, is: "eventId"), member.kind == .string {
                        var buffer = [UInt8](repeating: 0, count: member.value.count)
                        let count = buffer.withUnsafeMutableBytes { reader.decodeString(member.value, into: $0) } ?? 0
                        decodedID = Array(buffer[..<count])
                    }
                    if reader.key(of: member, is: "rawEventId") { hasRawID = true }
                }
            }
        } catch {
            fatalError("the line is not a JSON object (\(error)): \(String(decoding: line, as: UTF8.self))")
        }
        let isUTF8 = String(validating: record.eventID, as: UTF8.self) != nil
        switch (record.eventID.isEmpty, isUTF8) {
        case (true, _): guard decodedID == nil, !hasRawID else { fatalError("an empty id printed as a value") }
        case (false, true): guard decodedID == record.eventID else { fatalError("id \(record.eventID) printed as \(decodedID ?? [])") }
        case (false, false): guard decodedID == nil, hasRawID else { fatalError("a non-UTF-8 id printed without rawEventId") }
        }
    }
}
