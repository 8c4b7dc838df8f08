/// The 16 bytes at the start of every segment: the magic "FRJSEG01" and the creation time in
/// Unix milliseconds (little-endian). A file without them is not a segment (or was created by a
/// process that died before writing them).
package enum SegmentHeader {
    package static let magic: [UInt8] = Array("FRJSEG01".utf8)
    package static let bytes = 16

    package static func encode(createdAtMilliseconds: Int64) -> [UInt8] {
        var header = magic
        withUnsafeBytes(of: createdAtMilliseconds.littleEndian) { header += $0 }
        return header
    }

    package static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= Self.bytes && bytes[0..<8].elementsEqual(magic)
    }
}
