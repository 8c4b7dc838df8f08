internal import FastReceiverSystem
internal import Foundation

/// A segment's file name: `<created ms, 13 digits>-w<worker, 3 digits>-<sequence, 6 digits>.seg`,
/// plus `.gz` once sealed and compressed. Names sort in creation order, which is storage order.
public struct SegmentName: Sendable, Comparable, Hashable, CustomStringConvertible {
    public var createdAtMilliseconds: Int64
    public var worker: Int
    public var sequence: Int
    public var isCompressed: Bool

    public init(createdAtMilliseconds: Int64, worker: Int, sequence: Int, isCompressed: Bool = false) {
        self.createdAtMilliseconds = createdAtMilliseconds
        self.worker = worker
        self.sequence = sequence
        self.isCompressed = isCompressed
    }

    /// The name without `.gz`: identifies the segment whether or not it has been compressed.
    public var baseName: String {
        RFC3339.padded(Int(createdAtMilliseconds), 13) + "-w" + RFC3339.padded(worker, 3) + "-" + RFC3339.padded(sequence, 6) + ".seg"
    }

    public var description: String { isCompressed ? baseName + ".gz" : baseName }

    /// Parses a file name; nil for anything that is not a segment, including a name that does
    /// not print back exactly (leading zeros, a sign, a number too wide), which would otherwise
    /// stand for another file.
    public init?(fileName: String) {
        var name = Substring(fileName)
        isCompressed = name.hasSuffix(".seg.gz")
        if isCompressed { name = name.dropLast(3) }
        guard name.hasSuffix(".seg") else { return nil }
        let parts = name.dropLast(4).split(separator: "-")
        guard parts.count == 3, parts[1].hasPrefix("w"),
              let created = Int64(parts[0]), let worker = Int(parts[1].dropFirst()), let sequence = Int(parts[2])
        else { return nil }
        self.createdAtMilliseconds = created
        self.worker = worker
        self.sequence = sequence
        guard description == fileName else { return nil }
    }

    public static func < (lhs: SegmentName, rhs: SegmentName) -> Bool {
        (lhs.createdAtMilliseconds, lhs.worker, lhs.sequence) < (rhs.createdAtMilliseconds, rhs.worker, rhs.sequence)
    }

    /// The segments in `directory`, in storage order. A segment present both plain and
    /// compressed (compression finished but the original not yet removed) is listed once, plain.
    public static func list(in directory: String) -> [SegmentName] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap(SegmentName.init(fileName:))
        var byBase: [String: SegmentName] = [:]
        for name in names {
            if let existing = byBase[name.baseName], !existing.isCompressed { continue }
            byBase[name.baseName] = name
        }
        return byBase.values.sorted()
    }
}
